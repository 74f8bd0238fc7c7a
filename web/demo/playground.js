/* The theme playground: every change goes to the widget through its API,
   and the page shows the tag and the code that would do the same. */
(function () {
  "use strict";
  // Calls before the loader ran wait in Parley.q; the loader then takes them.
  window.Parley = window.Parley || function () { (window.Parley.q = window.Parley.q || []).push(arguments); };

  var form = document.getElementById("tokens");
  var loader = document.querySelector("script[data-app-id]");

  function read() {
    var theme = {};
    var locale = "en";
    var title = "";
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.value === "") {
        return;
      }
      if (el.name === "locale") {
        locale = el.value;
      } else if (el.name === "title") {
        title = el.value;
      } else {
        theme[el.name] = el.value + (el.dataset.unit || "");
      }
    });
    return { theme: theme, locale: locale, title: title };
  }

  function update() {
    var s = read();
    var texts = {};
    if (s.title) {
      texts[s.locale] = { Title: s.title };
    }
    Parley("theme", s.theme);
    Parley("setLocale", s.locale);
    Parley("texts", texts);
    document.getElementById("tag").textContent =
      '<script src="' + loader.src + '" data-app-id="' + loader.dataset.appId + '" data-locale="' + s.locale +
      '" data-position="' + s.theme.position + '" data-color="' + s.theme.launcherColor + '" async></' + 'script>';
    document.getElementById("code").textContent =
      'Parley("theme", ' + JSON.stringify(s.theme, null, 2) + ");" +
      (s.title ? '\nParley("texts", ' + JSON.stringify(texts) + ");" : "");
  }

  form.addEventListener("input", update);
  document.getElementById("open").addEventListener("click", function () { Parley("open"); });
  update();
})();
