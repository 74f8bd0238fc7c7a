/*
 * Parley loader. A website adds it with one tag:
 *
 *   <script src="https://CHAT-SERVER/widget.js" data-app-id="APP-ID" async></script>
 *
 * It draws the chat launcher inside a shadow root, so the page's CSS cannot
 * reach it and it adds none to the page, and creates the chat window (an
 * iframe served by the chat server) only when the visitor opens it: until
 * then the page downloads nothing else. The window and the loader talk with
 * postMessage, each checking the other's origin.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) {
    return;
  }
  var origin = new URL(script.src).origin;
  var appId = script.getAttribute("data-app-id") || "";
  var locale = script.getAttribute("data-locale") || navigator.language || "en";

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
    ".badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;" +
    "border-radius:11px;background:#b42318;color:#fff;font:700 12px/22px system-ui,sans-serif}" +
    ".badge:empty{display:none}" +
    ".window{position:fixed;right:20px;bottom:92px;z-index:2147483647;width:380px;" +
    "height:min(640px,calc(100vh - 112px));border:0;border-radius:16px;background:#fff;" +
    "box-shadow:0 8px 32px rgba(0,0,0,.25)}" +
    ".window[hidden]{display:none}" +
    "@media (max-width:480px){.window{right:0;bottom:0;width:100%;height:100%;border-radius:0}}";

  var ICONS =
    '<svg class="open" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>' +
    '<svg class="close" viewBox="0 0 24 24" aria-hidden="true"><path d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z"/></svg>' +
    '<span class="badge" data-testid="unread"></span>';

  var root, launcher, badge, frame, ready = false, page = "";

  function mount() {
    var host = document.createElement("parley-widget");
    root = host.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent = CSS;
    launcher = document.createElement("button");
    launcher.className = "launcher";
    launcher.type = "button";
    launcher.setAttribute("data-testid", "launcher");
    launcher.setAttribute("aria-expanded", "false");
    launcher.innerHTML = ICONS; // a constant: no data ever goes through innerHTML
    badge = launcher.querySelector(".badge");
    label();
    launcher.addEventListener("click", toggle);
    root.appendChild(style);
    root.appendChild(launcher);
    document.body.appendChild(host);
  }

  function label() {
    var open = launcher.getAttribute("aria-expanded") === "true";
    var unread = badge.textContent;
    launcher.setAttribute("aria-label", (open ? "Close chat" : "Open chat") + (unread ? ", " + unread + " unread" : ""));
  }

  function toggle() {
    if (frame && !frame.hidden) {
      close();
    } else {
      open();
    }
  }

  function send(message) {
    if (frame && ready) {
      frame.contentWindow.postMessage(message, origin);
    }
  }

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.className = "window";
      frame.title = "Chat";
      frame.setAttribute("data-testid", "window");
      frame.src = origin + "/widget/?app=" + encodeURIComponent(appId) +
        "&host=" + encodeURIComponent(location.origin) + "&lang=" + encodeURIComponent(locale);
      root.appendChild(frame);
      setInterval(navigated, 1000);
    }
    frame.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    label();
    send({ type: "parley:show" });
  }

  function close() {
    frame.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    label();
    send({ type: "parley:hide" });
    launcher.focus();
  }

  // The chat window tells the agent which page the visitor is on.
  function navigated() {
    if (location.href !== page) {
      page = location.href;
      send({ type: "parley:navigation", page: page, title: document.title });
    }
  }

  // Only the chat window may talk to the loader, and only from its origin.
  window.addEventListener("message", function (event) {
    if (!frame || event.origin !== origin || event.source !== frame.contentWindow || !event.data) {
      return;
    }
    switch (event.data.type) {
    case "parley:ready":
      ready = true;
      page = "";
      navigated();
      send({ type: frame.hidden ? "parley:hide" : "parley:show" });
      break;
    case "parley:close":
      close();
      break;
    case "parley:unread":
      badge.textContent = event.data.count > 0 ? String(event.data.count) : "";
      label();
      break;
    }
  });
  window.addEventListener("popstate", function () { if (frame) { navigated(); } });
  window.addEventListener("hashchange", function () { if (frame) { navigated(); } });

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();
