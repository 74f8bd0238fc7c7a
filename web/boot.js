/* Parley: runs in the chat window's head, before the window paints. It
   applies the theme the page passed in the fragment, so the first paint
   already wears it, keeps the one function the wasm calls to theme the
   window later, and tells the loader the window's document is here. Until
   the wasm runs, it answers the window's close button and Escape, and it
   tells the loader when the wasm cannot start, so that a window that does
   not work never covers the page. */
(function () {
  "use strict";

  // A browser that refuses storage (a visitor who blocks all cookies) makes
  // localStorage throw on every use, and go-app reads it as it starts: the
  // window keeps what it stores in memory instead, for the page's life.
  ["localStorage", "sessionStorage"].forEach(function (name) {
    try {
      window[name].length;
    } catch (e) {
      var items = new Map();
      Object.defineProperty(window, name, {
        configurable: true,
        value: {
          get length() { return items.size; },
          key: function (i) {
            var k = Array.from(items.keys())[i];
            return k === undefined ? null : k;
          },
          getItem: function (k) { return items.has(String(k)) ? items.get(String(k)) : null; },
          setItem: function (k, v) { items.set(String(k), String(v)); },
          removeItem: function (k) { items.delete(String(k)); },
          clear: function () { items.clear(); }
        }
      });
    }
  });

  var TOKENS = {
    brand: "brand", brandText: "brand-text", surface: "surface", text: "text", muted: "muted",
    visitorBubble: "visitor-bubble", visitorText: "visitor-text", agentBubble: "agent-bubble",
    agentText: "agent-text", border: "border", font: "font", fontSize: "font-size", radius: "radius"
  };
  // The server's configuration themes first; the page's own theme wins.
  var layers = { config: {}, host: {} };

  // A token is a colour, a length or a font list: never a url() or anything
  // that would end the declaration.
  function safe(v) {
    return typeof v === "string" && v.length <= 120 && !/url\(|[;{}<>\\]/i.test(v);
  }

  function apply() {
    var html = document.documentElement;
    var theme = Object.assign({}, layers.config, layers.host);
    Object.keys(TOKENS).forEach(function (key) {
      if (safe(theme[key])) {
        html.style.setProperty("--parley-" + TOKENS[key], theme[key]);
      } else {
        html.style.removeProperty("--parley-" + TOKENS[key]);
      }
    });
    html.setAttribute("data-mode", theme.mode === "dark" || theme.mode === "light" ? theme.mode : "auto");
  }

  window.parleyTheme = function (theme, layer) {
    layers[layer === "config" ? "config" : "host"] = theme && typeof theme === "object" ? theme : {};
    apply();
  };

  var state = {};
  try {
    state = JSON.parse(decodeURIComponent(location.hash.slice(1))) || {};
  } catch (e) {
    // No fragment, or not ours: the default theme.
  }
  window.parleyTheme(state.theme, "host");

  // What the window tells the page before the wasm runs: postMessage types
  // of the vocabulary widget/live/postmessage.go and the loader name too.
  var MSG = { loaded: "loaded", failed: "failed", close: "close" };
  var host = new URLSearchParams(location.search).get("host");
  function tell(type) {
    try {
      parent.postMessage({ type: type }, host);
    } catch (e) {
      // Not framed by a page of a valid origin: nobody to tell.
    }
  }
  // The loader takes a window that never says this for an error page.
  tell(MSG.loaded);

  // The wasm calls parleyUp once the window runs; from then on the window
  // answers for itself.
  var up = false;
  window.parleyUp = function () {
    up = true;
  };
  document.addEventListener("click", function (e) {
    if (!up && e.target.closest && e.target.closest("[data-testid=close]")) {
      tell(MSG.close);
    }
  });
  document.addEventListener("keydown", function (e) {
    if (!up && e.key === "Escape") {
      tell(MSG.close);
    }
  });

  // A wasm that does not arrive whole (the server answers 503), or that
  // runs but never starts the window, or a browser without WebAssembly
  // (a phone in lockdown mode): the window cannot start.
  if (!window.WebAssembly) {
    return tell(MSG.failed);
  }
  ["instantiateStreaming", "instantiate"].forEach(function (name) {
    var original = WebAssembly[name];
    if (!original) {
      return;
    }
    WebAssembly[name] = function () {
      return original.apply(WebAssembly, arguments).then(function (result) {
        setTimeout(function () {
          up || tell(MSG.failed);
        }, 10000);
        return result;
      }, function (err) {
        tell(MSG.failed);
        throw err;
      });
    };
  });
})();
