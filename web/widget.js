/* Parley's loader: the launcher, and the chat window on demand. The README
   documents the tag and the Parley() API. */
(function () {
  var script = document.currentScript;
  var data = function (k) { return script.getAttribute("data-" + k); };
  if (!script) {
    return;
  }
  var name = data("global") || "Parley";
  var existing = window[name];
  var queue = existing && existing.q || [];
  var api = document.parley;
  // Run twice (a tag manager): one launcher takes the calls.
  if (api) {
    window[name] = api;
    return queue.forEach(function (args) { api.apply(0, args); });
  }
  if (existing && !existing.q) {
    return console.warn("Parley: window." + name + " is taken");
  }
  var origin = new URL(script.src).origin;
  var state = {
    theme: { launcherColor: data("color"), position: data("position") },
    visitor: {}, texts: {}, locale: data("locale") || navigator.language
  };
  var handlers = {};
  var root, host, button, badge, frame, loaded, ready, page, title, flashing, hidden, opened;

  var CSS = ":host{all:initial}" +
    "button,iframe{position:fixed;right:var(--offsetX,20px);z-index:var(--zIndex,2147483647);border:0}" +
    ":host(.left) button,:host(.left) iframe{right:auto;left:var(--offsetX,20px)}" +
    "button{bottom:var(--offsetY,20px);width:var(--launcherSize,60px);height:var(--launcherSize,60px);" +
    "padding:0;border-radius:50%;background:var(--launcherColor,#1f5fd1);cursor:pointer;box-shadow:0 4px 14px #0004}" +
    "svg{width:45%;fill:#fff}.x{stroke:#fff;stroke-width:2}[aria-expanded=true] .o,[aria-expanded=false] .x{display:none}" +
    "i{position:absolute;top:-4px;right:-4px;min-width:10px;padding:0 6px;border-radius:11px;" +
    "background:#b42318;font:700 12px/22px sans-serif}i:empty{display:none}" +
    "iframe{bottom:calc(var(--offsetY,20px) + var(--launcherSize,60px) + 12px);width:380px;height:min(640px,100vh - 112px);" +
    "border-radius:16px;background:#fff;box-shadow:0 8px 32px #0004}" +
    "@media (max-width:480px){iframe{inset:0;width:100%;height:100%;border-radius:0}}";

  function icon(cls, d) {
    var ns = "http://www.w3.org/2000/svg", svg = button.appendChild(document.createElementNS(ns, "svg"));
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", cls);
    svg.appendChild(document.createElementNS(ns, "path")).setAttribute("d", d);
  }

  function mount() {
    host = document.createElement("parley-widget");
    root = host.attachShadow({ mode: "open" });
    // Not inline CSS, which a strict CSP forbids.
    try {
      (root.adoptedStyleSheets = [new CSSStyleSheet()])[0].replaceSync(CSS);
    } catch (e) {
      root.appendChild(document.createElement("style")).textContent = CSS;
    }
    button = root.appendChild(document.createElement("button"));
    button.setAttribute("data-testid", "launcher");
    icon("o", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    icon("x", "M6 6l12 12m0-12L6 18");
    badge = button.appendChild(document.createElement("i"));
    button.onclick = function () { call("toggle"); };
    // A head start.
    button.onpointerenter = button.onfocus = load;
    document.documentElement.appendChild(host);
    setInterval(navigated, 1000);
    show(false);
    if (data("prefetch") === "idle") {
      (window.requestIdleCallback || setTimeout)(load);
    }
    queue.forEach(function (args) { call.apply(0, args); });
  }

  function show(open) {
    var t = state.theme;
    for (var k in t) {
      t[k] && host.style.setProperty("--" + k, t[k]);
    }
    host.classList.toggle("left", t.position === "left");
    // No page rule can hide it.
    host.style.setProperty("display", hidden ? "none" : "block", "important");
    button.setAttribute("aria-expanded", opened = open);
    button.setAttribute("aria-label", frame === null ? "Chat unavailable. Retry" :
      (open ? "Close chat" : "Open chat") + (badge.textContent ? ", " + badge.textContent + " unread" : ""));
  }

  // A function in the visitor's data cannot be sent.
  function send(message) {
    try {
      ready && frame.contentWindow.postMessage(message, origin);
    } catch (e) {}
  }

  // One by one: a handler that throws stops no other.
  function emit(event, detail) {
    (handlers[event] || []).forEach(function (fn) { setTimeout(fn, 0, detail); });
  }

  // The fragment never leaves the browser.
  function load() {
    if (frame) {
      return;
    }
    loaded = ready = false;
    frame = root.appendChild(document.createElement("iframe"));
    frame.title = "Chat";
    frame.hidden = true;
    frame.src = origin + "/widget/?app=" + encodeURIComponent(data("app-id")) + "&host=" +
      encodeURIComponent(location.origin) + "&lang=" + encodeURIComponent(state.locale) +
      "#" + encodeURIComponent(JSON.stringify(state));
    // An error page never says "loaded".
    frame.onload = function () {
      setTimeout(function () { loaded || fail(); }, 1000);
    };
  }

  // A window that cannot start gives way; the launcher retries.
  function fail() {
    if (frame) {
      frame.remove();
      badge.textContent = "!";
      frame = null;
      show(false);
    }
  }

  function flash(count, text) {
    clearInterval(flashing);
    title && (document.title = title);
    title = count && document.title;
    flashing = count && setInterval(function () {
      document.title = document.title === title ? "(" + count + ") " + text : title;
    }, 1500);
  }

  function navigated() {
    if (location.href !== page) {
      page = location.href;
      send({ type: "navigation", page: page, title: document.title });
    }
  }

  function call(command, a, b) {
    var open = command === "open" || command === "toggle" && !opened;
    if (/^(open|close|toggle)$/.test(command)) {
      if (!frame) {
        if (!open) {
          return;
        }
        badge.textContent = "";
        load();
      }
      frame.hidden = !open;
      show(open);
      flash(0);
      send({ type: open ? "show" : "hide" });
      open || button.focus();
      return emit(open ? "open" : "close");
    }
    if (command === "show" || command === "hide") {
      hidden = command === "hide";
      return hidden ? call("close") : show(opened);
    }
    if (command === "on") {
      return (handlers[a] = handlers[a] || []).push(b);
    }
    if (command === "shutdown") {
      send({ type: "shutdown" });
      flash(ready = 0);
      delete window[name];
      document.parley = 0;
      return setTimeout(function () { host.remove(); }, 300);
    }
    var key = { setVisitor: "visitor", setLocale: "locale", theme: "theme", texts: "texts" }[command];
    if (key) {
      state[key] = key === "locale" ? String(a) : Object.assign(state[key], a);
      show(opened);
      send({ type: key, value: state[key] });
    }
  }

  // Only the chat window may talk to the loader.
  addEventListener("message", function (event) {
    var d = event.data || {};
    if (!frame || event.origin !== origin || event.source !== frame.contentWindow) {
      return;
    }
    if (d.type === "loaded") {
      loaded = true;
    } else if (d.type === "failed") {
      fail();
    } else if (d.type === "ready") {
      ready = true;
      page = "";
      send({ type: "state", value: state, shown: !frame.hidden });
      navigated();
    } else if (d.type === "close") {
      call("close");
    } else {
      if (d.type === "unread") {
        badge.textContent = d.count || "";
        show(opened);
        flash(frame.hidden && d.count, d.title);
      }
      emit(d.type, d);
    }
  });

  window[name] = document.parley = function () {
    return button ? call.apply(0, arguments) : queue.push(arguments);
  };
  document.body ? mount() : addEventListener("DOMContentLoaded", mount);
})();
