/*
 * Parley loader. A website adds it with one tag:
 *
 *   <script src="https://CHAT-SERVER/widget.js" data-app-id="APP-ID" async></script>
 *
 * It draws the chat launcher inside a shadow root, so the page's CSS cannot
 * reach it and it adds none to the page, and creates the chat window (an
 * iframe served by the chat server) only when the visitor opens it: until
 * then the page downloads nothing else.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) {
    return;
  }
  var origin = new URL(script.src).origin;
  var appId = script.getAttribute("data-app-id") || "";

  var CSS =
    ":host{all:initial}" +
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483647;width:60px;height:60px;" +
    "margin:0;padding:0;border:0;border-radius:50%;background:#1f5fd1;color:#fff;cursor:pointer;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}" +
    ".launcher:hover{background:#1a4fb0}" +
    ".launcher:focus-visible{outline:3px solid #ffbf47;outline-offset:3px}" +
    ".launcher svg{width:28px;height:28px;fill:currentColor}" +
    ".launcher .close,.launcher[aria-expanded=true] .open{display:none}" +
    ".launcher[aria-expanded=true] .close{display:block}" +
    ".window{position:fixed;right:20px;bottom:92px;z-index:2147483647;width:380px;" +
    "height:min(640px,calc(100vh - 112px));border:0;border-radius:16px;background:#fff;" +
    "box-shadow:0 8px 32px rgba(0,0,0,.25)}" +
    ".window[hidden]{display:none}" +
    "@media (max-width:480px){.window{right:0;bottom:0;width:100%;height:100%;border-radius:0}}";

  var ICONS =
    '<svg class="open" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>' +
    '<svg class="close" viewBox="0 0 24 24" aria-hidden="true"><path d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z"/></svg>';

  var root, launcher, frame;

  function mount() {
    var host = document.createElement("parley-widget");
    root = host.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent = CSS;
    launcher = document.createElement("button");
    launcher.className = "launcher";
    launcher.type = "button";
    launcher.setAttribute("data-testid", "launcher");
    launcher.setAttribute("aria-label", "Open chat");
    launcher.setAttribute("aria-expanded", "false");
    launcher.innerHTML = ICONS; // a constant: no data ever goes through innerHTML
    launcher.addEventListener("click", toggle);
    root.appendChild(style);
    root.appendChild(launcher);
    document.body.appendChild(host);
  }

  function toggle() {
    if (frame && !frame.hidden) {
      close();
    } else {
      open();
    }
  }

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.className = "window";
      frame.title = "Chat";
      frame.setAttribute("data-testid", "window");
      frame.src = origin + "/widget/?app=" + encodeURIComponent(appId) +
        "&host=" + encodeURIComponent(location.origin);
      root.appendChild(frame);
    }
    frame.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", "Close chat");
  }

  function close() {
    frame.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", "Open chat");
    launcher.focus();
  }

  // Only the chat window may talk to the loader, and only from its origin.
  window.addEventListener("message", function (event) {
    if (!frame || event.origin !== origin || event.source !== frame.contentWindow) {
      return;
    }
    if (event.data && event.data.type === "parley:close") {
      close();
    }
  });

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();
