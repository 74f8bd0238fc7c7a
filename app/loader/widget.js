/*
 * Parley's loader, the one script a host page runs: it draws the launcher,
 * and loads the chat window (an iframe from the chat server) only when the
 * visitor is about to use it. The README documents the tag and the
 * Parley() API.
 *
 * This is the readable source. The browser gets web/widget.js, which
 * `go run ./app/loader web` (./build.sh) minifies from it with esbuild;
 * keep this file written for people, and let esbuild save the bytes.
 */
(function () {
  // The postMessage vocabulary between this page and the chat window: each
  // message is {type, ...}. widget/live/postmessage.go names the same types
  // in Go, and the README's table gives their fields.
  const MSG = {
    // From the window.
    loaded: "loaded", // its document loaded (its boot script says so)
    failed: "failed", // its wasm cannot start
    ready: "ready", // it runs: it gets the page's state
    close: "close", // the visitor closed it
    unread: "unread", // {count, title}: the contact center's unseen messages
    // From the page.
    state: "state", // {value: state, shown}: everything the page knows
    navigation: "navigation", // {page, title}: the visitor is on another page
    show: "show",
    hide: "hide",
    shutdown: "shutdown",
  };
  // Parley() calls that change the page's state, and the message each
  // sends the window ({type, value}).
  const STATE_CALLS = { setVisitor: "visitor", setLocale: "locale", theme: "theme", texts: "texts" };

  // How long the window may take to say it loaded after the iframe's load
  // event, in ms: an error page (a 503) never says it.
  const LOAD_GRACE = 1000;
  // How often the loader looks for a new page address (a single-page app
  // navigating), in ms; and how fast the title blinks.
  const NAVIGATION_CHECK = 1000;
  const TITLE_BLINK = 1500;

  const script = document.currentScript;
  if (!script) {
    return;
  }
  const attribute = (name) => script.getAttribute("data-" + name);
  const apiName = attribute("global") || "Parley";
  const existing = window[apiName];
  // Calls made before the loader ran, by the snippet in the README.
  const queued = (existing && existing.q) || [];
  const installed = document.parley;

  // The tag ran twice (a tag manager, a page that swaps its body): the
  // launcher there is takes the calls.
  if (installed) {
    window[apiName] = installed;
    queued.forEach((args) => installed.apply(null, args));
    return;
  }
  if (existing && !existing.q) {
    console.warn("Parley: window." + apiName + " is taken");
    return;
  }

  const chatOrigin = new URL(script.src).origin;
  // What the page tells the window: sent in the iframe's fragment when it
  // is made, then as messages.
  const state = {
    theme: { launcherColor: attribute("color"), position: attribute("position") },
    visitor: {},
    texts: {},
    locale: attribute("locale") || navigator.language,
  };
  // The page's listeners, by event name: Parley("on", event, fn).
  const handlers = {};

  // host is <parley-widget>, shadow its shadow root; launcher the button,
  // badge its unread count; frame the chat window's iframe (undefined
  // until loaded, null after it failed).
  let host, shadow, launcher, badge, frame;
  // loaded: the window's document said it loaded; ready: the window runs
  // and takes messages.
  let loaded = false;
  let ready = false;
  // page is the address last told to the window; pageTitle the page's own
  // title while it blinks, and blinking its timer.
  let page, pageTitle, blinking;
  // hidden: the page hid the launcher; opened: the window is open.
  let hidden = false;
  let opened = false;

  // The launcher's style, in its shadow root: the host page's CSS cannot
  // reach it, and it reaches nothing of the page's. Custom properties are
  // the design tokens of the launcher (see the README's theming table).
  const CSS =
    ":host{all:initial}" +
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

  // The launcher's two icons, a speech bubble and a cross: CSS shows the
  // one for the window's state.
  const BUBBLE = "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z";
  const CROSS = "M6 6l12 12m0-12L6 18";

  function addIcon(className, path) {
    const svgNS = "http://www.w3.org/2000/svg";
    const svg = launcher.appendChild(document.createElementNS(svgNS, "svg"));
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", className);
    svg.appendChild(document.createElementNS(svgNS, "path")).setAttribute("d", path);
  }

  // mount draws the launcher, and takes the calls queued before it.
  function mount() {
    host = document.createElement("parley-widget");
    shadow = host.attachShadow({ mode: "open" });
    // A constructed style sheet, not an inline style, which a strict
    // Content-Security-Policy forbids.
    try {
      (shadow.adoptedStyleSheets = [new CSSStyleSheet()])[0].replaceSync(CSS);
    } catch (e) {
      shadow.appendChild(document.createElement("style")).textContent = CSS;
    }
    launcher = shadow.appendChild(document.createElement("button"));
    launcher.setAttribute("data-testid", "launcher");
    addIcon("o", BUBBLE);
    addIcon("x", CROSS);
    badge = launcher.appendChild(document.createElement("i"));
    launcher.onclick = () => call("toggle");
    // The window loads as soon as the visitor's pointer or focus reaches
    // the launcher: a head start on the click.
    launcher.onpointerenter = launcher.onfocus = load;
    document.documentElement.appendChild(host);
    setInterval(tellNavigation, NAVIGATION_CHECK);
    draw(false);
    if (attribute("prefetch") === "idle") {
      (window.requestIdleCallback || setTimeout)(load);
    }
    queued.forEach((args) => call.apply(null, args));
  }

  // draw shows the launcher as the state says: its tokens, its side, the
  // window open or not, and what a screen reader hears.
  function draw(open) {
    const theme = state.theme;
    for (const token in theme) {
      if (theme[token]) {
        host.style.setProperty("--" + token, theme[token]);
      }
    }
    host.classList.toggle("left", theme.position === "left");
    // Important, so that no rule of the page can hide it.
    host.style.setProperty("display", hidden ? "none" : "block", "important");
    opened = open;
    launcher.setAttribute("aria-expanded", open);
    const unread = badge.textContent ? ", " + badge.textContent + " unread" : "";
    launcher.setAttribute("aria-label", frame === null ? "Chat unavailable. Retry" : (open ? "Close chat" : "Open chat") + unread);
  }

  // send posts a message to the window once it runs, and only to the chat
  // server's origin. A function in the visitor's data cannot be sent: the
  // message is dropped rather than the page broken.
  function send(message) {
    try {
      if (ready) {
        frame.contentWindow.postMessage(message, chatOrigin);
      }
    } catch (e) {
      // not cloneable: nothing to send
    }
  }

  // emit calls the page's listeners of an event one by one, so that one
  // that throws stops no other.
  function emit(event, detail) {
    (handlers[event] || []).forEach((listener) => setTimeout(listener, 0, detail));
  }

  // load makes the chat window's iframe, hidden, unless it is there. The
  // page's state goes in the fragment, which never leaves the browser.
  function load() {
    if (frame) {
      return;
    }
    loaded = ready = false;
    frame = shadow.appendChild(document.createElement("iframe"));
    frame.title = "Chat";
    frame.hidden = true;
    // A cross-origin frame gets the microphone and the camera only where
    // the page delegates them: the window's calls ask for them, and for
    // the agent's sound to play.
    frame.allow = "microphone; camera; autoplay";
    frame.src =
      chatOrigin +
      "/widget/?app=" + encodeURIComponent(attribute("app-id")) +
      "&host=" + encodeURIComponent(location.origin) +
      "&lang=" + encodeURIComponent(state.locale) +
      "#" + encodeURIComponent(JSON.stringify(state));
    frame.onload = () => setTimeout(() => loaded || fail(), LOAD_GRACE);
  }

  // fail takes away a window that cannot start; the launcher offers to
  // retry.
  function fail() {
    if (frame) {
      frame.remove();
      badge.textContent = "!";
      frame = null;
      draw(false);
    }
  }

  // blinkTitle makes the page's title blink with the count of unread
  // messages; a count of 0 stops it and puts the title back.
  function blinkTitle(count, text) {
    clearInterval(blinking);
    if (pageTitle) {
      document.title = pageTitle;
    }
    pageTitle = count && document.title;
    blinking = count && setInterval(() => {
      document.title = document.title === pageTitle ? "(" + count + ") " + text : pageTitle;
    }, TITLE_BLINK);
  }

  // tellNavigation tells the window the visitor is on another page.
  function tellNavigation() {
    if (location.href !== page) {
      page = location.href;
      send({ type: MSG.navigation, page: page, title: document.title });
    }
  }

  // call is Parley(command, ...): see the README's table.
  function call(command, a, b) {
    if (command === "open" || command === "close" || command === "toggle") {
      const open = command === "open" || (command === "toggle" && !opened);
      if (!frame) {
        if (!open) {
          return;
        }
        badge.textContent = "";
        load();
      }
      frame.hidden = !open;
      draw(open);
      blinkTitle(0);
      send({ type: open ? MSG.show : MSG.hide });
      if (!open) {
        launcher.focus();
      }
      emit(open ? "open" : "close");
      return;
    }
    if (command === "show" || command === "hide") {
      hidden = command === "hide";
      if (hidden) {
        call("close");
      } else {
        draw(opened);
      }
      return;
    }
    if (command === "on") {
      (handlers[a] = handlers[a] || []).push(b);
      return;
    }
    if (command === "shutdown") {
      send({ type: MSG.shutdown });
      ready = false;
      blinkTitle(0);
      delete window[apiName];
      document.parley = 0;
      setTimeout(() => host.remove(), 300);
      return;
    }
    const key = STATE_CALLS[command];
    if (key) {
      state[key] = key === "locale" ? String(a) : Object.assign(state[key], a);
      draw(opened);
      send({ type: key, value: state[key] });
    }
  }

  // Only the chat window may talk to the loader.
  addEventListener("message", (event) => {
    const data = event.data || {};
    if (!frame || event.origin !== chatOrigin || event.source !== frame.contentWindow) {
      return;
    }
    switch (data.type) {
      case MSG.loaded:
        loaded = true;
        break;
      case MSG.failed:
        fail();
        break;
      case MSG.ready:
        ready = true;
        page = "";
        send({ type: MSG.state, value: state, shown: !frame.hidden });
        tellNavigation();
        break;
      case MSG.close:
        call("close");
        break;
      default:
        if (data.type === MSG.unread) {
          badge.textContent = data.count || "";
          draw(opened);
          blinkTitle(frame.hidden && data.count, data.title);
        }
        // message, file, ended, unread: the page's listeners hear them.
        emit(data.type, data);
    }
  });

  window[apiName] = document.parley = function () {
    if (launcher) {
      return call.apply(null, arguments);
    }
    queued.push(arguments);
  };
  if (document.body) {
    mount();
  } else {
    addEventListener("DOMContentLoaded", mount);
  }
})();
