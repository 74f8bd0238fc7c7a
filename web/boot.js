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

  // On a phone network the wasm takes seconds to arrive; the window takes
  // typing from its first paint. What the visitor sends meanwhile waits
  // here, shown as sending, and the wasm takes it, with the draft, once
  // (parleyEarly), before it replaces this page; the window sends it then,
  // through its outbox, like anything else.
  var early = { sent: [] };
  window.parleyEarly = function () {
    var taken = early;
    early = null;
    var box = document.getElementById("parley-input");
    return { draft: box ? box.value : "", sent: taken ? taken.sent : [] };
  };
  function sendEarly(form) {
    var box = form.querySelector("textarea");
    var text = box ? box.value.trim() : "";
    if (!early || !text) {
      return;
    }
    early.sent.push(text);
    box.value = "";
    var line = document.createElement("li");
    line.className = "parley-line parley-visitor";
    line.dataset.testid = "message";
    line.dataset.from = "visitor";
    line.dataset.status = "pending";
    [["span", "parley-author", form.dataset.you], ["p", "parley-text", text], ["span", "parley-meta", form.dataset.sending]]
      .forEach(function (part) {
        var el = document.createElement(part[0]);
        el.className = part[1];
        el.textContent = part[2] || "";
        line.appendChild(el);
      });
    var lines = document.querySelector(".parley-lines");
    if (lines) {
      lines.appendChild(line);
      line.scrollIntoView({ block: "end" });
    }
  }
  // Until the wasm runs, the composer's form must never submit: that
  // would load the page again.
  document.addEventListener("submit", function (e) {
    if (!up && e.target.matches("[data-testid=composer]")) {
      e.preventDefault();
      sendEarly(e.target);
    }
  });
  document.addEventListener("keydown", function (e) {
    // Shift+Enter is a new line; an input method's Enter confirms its text.
    if (up || e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229 ||
        !e.target.matches || !e.target.matches("#parley-input")) {
      return;
    }
    e.preventDefault();
    sendEarly(e.target.form);
  });

  // A wasm that does not arrive whole (the server answers 503), a Go
  // program that exits (a panic as it starts: go-app's page would stay
  // blank), or a browser without WebAssembly (a phone in lockdown mode):
  // the window cannot work. No timer decides it: a slow phone that takes
  // its time to start the wasm is still starting, not failing.
  if (!window.WebAssembly) {
    return tell(MSG.failed);
  }
  ["instantiateStreaming", "instantiate"].forEach(function (name) {
    var original = WebAssembly[name];
    if (!original) {
      return;
    }
    WebAssembly[name] = function (source, imports) {
      var gojs = imports && imports.gojs;
      var exit = gojs && gojs["runtime.wasmExit"];
      if (exit) {
        gojs["runtime.wasmExit"] = function () {
          tell(MSG.failed);
          return exit.apply(this, arguments);
        };
      }
      return original.apply(WebAssembly, arguments).catch(function (err) {
        tell(MSG.failed);
        throw err;
      });
    };
  });
})();
