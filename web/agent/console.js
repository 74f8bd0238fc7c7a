/*
 * Parley agent console. It is built only on the agent API (see the README):
 * a long poll for the list of open chats, and a WebSocket per open chat for
 * its events, both ways. Every text from the network goes into the page as
 * text (textContent), never as HTML.
 */
(function () {
  "use strict";

  var params = new URLSearchParams(location.search);
  var token = params.get("token") || sessionStorage.getItem("parley.agent.token") || "";
  if (params.get("token")) {
    // Keep the token out of the address bar, screenshots and history.
    sessionStorage.setItem("parley.agent.token", token);
    history.replaceState(null, "", location.pathname);
  }

  var $ = function (id) { return document.getElementById(id); };
  var me = JSON.parse(localStorage.getItem("parley.agent.me") || "null");
  var chats = {};
  var forms = [];
  var current = null; // {id, socket, lastSeq, epoch, parties, typingTimer, closed}
  var typing = false;
  var typingTimer = 0;
  var lastRef = 0;

  function api(path, options) {
    options = options || {};
    options.headers = Object.assign({ Authorization: "Bearer " + token }, options.headers || {});
    return fetch("/agent/api" + path, options).then(function (resp) {
      return resp.json().then(function (body) {
        if (!resp.ok) {
          throw new Error(body.error_message || resp.statusText);
        }
        return body;
      });
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function slug(name) {
    return "agent-" + name.trim().toLowerCase().replace(/\s+/g, "-");
  }

  // Who the agent is: a name, kept in the browser.
  function login(name) {
    var parts = name.trim().split(/\s+/);
    me = { name: name.trim(), party_id: slug(name), first: parts[0], last: parts.slice(1).join(" ") };
    localStorage.setItem("parley.agent.me", JSON.stringify(me));
    showMe();
  }

  function showMe() {
    $("who").hidden = !!me;
    $("me").hidden = !me;
    if (me) {
      $("me").textContent = "Signed in as " + me.name;
    }
    if (current) {
      updateChatHead();
    }
  }

  $("who").addEventListener("submit", function (event) {
    event.preventDefault();
    login($("agent-name").value);
  });

  // The list of open chats, kept up to date by a long poll.
  function pollChats(version) {
    api("/chats?since=" + version).then(function (list) {
      chats = {};
      list.chats.forEach(function (c) { chats[c.chat_id] = c; });
      renderList();
      if (current) {
        updateChatHead();
      }
      pollChats(list.version);
    }).catch(function () {
      setTimeout(function () { pollChats(version); }, 2000);
    });
  }

  function readCount(id) {
    return Number(localStorage.getItem("parley.agent.read." + id) || 0);
  }

  function visitorName(c) {
    return c.visitor || "Visitor " + c.chat_id.slice(0, 8);
  }

  function renderList() {
    var list = $("chat-list");
    list.textContent = "";
    var ids = Object.keys(chats);
    $("no-chats").hidden = ids.length > 0;
    ids.forEach(function (id) {
      var c = chats[id];
      if (current && current.id === id) {
        localStorage.setItem("parley.agent.read." + id, String(c.visitor_messages));
      }
      var unread = c.visitor_messages - readCount(id);
      var button = el("button");
      button.type = "button";
      button.setAttribute("data-testid", "agent-chat");
      button.setAttribute("data-chat-id", id);
      button.setAttribute("aria-current", String(!!current && current.id === id));
      if (unread > 0) {
        var badge = el("span", "badge", String(unread));
        badge.setAttribute("data-testid", "unread");
        badge.setAttribute("aria-label", unread + " unread");
        button.appendChild(badge);
      }
      button.appendChild(el("span", "", visitorName(c)));
      button.appendChild(el("span", "sub", c.state + (c.agent ? " · " + c.agent : " · waiting")));
      button.addEventListener("click", function () { openChat(id); });
      var li = el("li");
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  // One chat: its stream over the agent socket, resumed after a drop.
  function openChat(id) {
    if (current) {
      current.closed = true;
      current.socket.close();
    }
    current = { id: id, lastSeq: 0, epoch: "", parties: {}, closed: false };
    $("chat").hidden = false;
    $("transcript").textContent = "";
    $("visitor-typing").hidden = true;
    connect(current);
    updateChatHead();
    renderList();
  }

  function connect(chat) {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
      "/agent/api/chats/" + encodeURIComponent(chat.id) + "/socket?token=" + encodeURIComponent(token) +
      "&party_id=" + encodeURIComponent(me ? me.party_id : "") + "&after=" + chat.lastSeq +
      "&epoch=" + encodeURIComponent(chat.epoch);
    chat.socket = new WebSocket(url);
    chat.socket.onmessage = function (message) {
      var frame = JSON.parse(message.data);
      if (frame.error_code) {
        note("Refused: " + frame.error_message);
        return;
      }
      if (frame.epoch && frame.epoch !== chat.epoch) {
        if (chat.epoch) {
          $("transcript").textContent = "";
        }
        chat.epoch = frame.epoch;
      }
      (frame.events || []).forEach(function (event) {
        if (event.seq && event.seq <= chat.lastSeq) {
          return;
        }
        if (event.seq) {
          chat.lastSeq = event.seq;
        }
        show(chat, event);
      });
    };
    chat.socket.onclose = function (close) {
      if (!chat.closed && close.code !== 4404 && close.code !== 4403) {
        setTimeout(function () { connect(chat); }, 1000);
      }
    };
  }

  function send(events) {
    if (!current || current.socket.readyState !== WebSocket.OPEN) {
      note("Not connected; try again in a moment.");
      return;
    }
    lastRef += 1;
    current.socket.send(JSON.stringify({ ref: String(lastRef), events: events }));
  }

  function updateChatHead() {
    var c = chats[current.id];
    var mine = c && me && c.agent === me.party_id;
    $("chat-title").textContent = c ? visitorName(c) : "Chat " + current.id.slice(0, 8);
    $("chat-state").textContent = c ? (c.state + (c.agent ? ", taken by " + c.agent : ", nobody has taken it")) : "ended";
    $("take").disabled = !me || !c || !!c.agent;
    ["push-form", "end", "reply", "file"].forEach(function (id) { $(id).disabled = !mine; });
    $("composer").querySelector("button").disabled = !mine;
  }

  function note(text) {
    var li = el("li", "note", text);
    li.setAttribute("data-testid", "agent-note");
    append(li);
  }

  function append(li) {
    var list = $("transcript");
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }

  function who(chat, partyID) {
    if (partyID === chat.id) {
      return "Visitor";
    }
    if (me && partyID === me.party_id) {
      return "You";
    }
    var p = chat.parties[partyID];
    return p ? (p.display_name || [p.first_name, p.last_name].join(" ").trim() || partyID) : partyID;
  }

  function mine(event) {
    return !!me && event.party_id === me.party_id;
  }

  function line(chat, event, text) {
    var li = el("li", mine(event) ? "mine" : "");
    li.setAttribute("data-testid", "agent-message");
    li.setAttribute("data-from", event.party_id === chat.id ? "visitor" : "contact-center");
    li.appendChild(el("span", "from", who(chat, event.party_id)));
    li.appendChild(el("span", "text", text));
    append(li);
  }

  function show(chat, event) {
    var typingNote = $("visitor-typing");
    switch (event.event) {
    case "chat_session_message":
      typingNote.hidden = event.party_id === chat.id ? true : typingNote.hidden;
      line(chat, event, event.msg_text || event.msg);
      break;
    case "chat_session_typing":
      typingNote.hidden = event.party_id !== chat.id;
      break;
    case "chat_session_not_typing":
      typingNote.hidden = typingNote.hidden || event.party_id === chat.id;
      break;
    case "chat_session_party_joined":
      chat.parties[event.party_id] = event;
      note(who(chat, event.party_id) + " joined");
      break;
    case "chat_session_party_left":
      note(who(chat, event.party_id) + " left");
      break;
    case "chat_session_status":
      note("Status: " + event.state + (event.ewt ? " (estimated wait " + event.ewt + " s)" : ""));
      break;
    case "chat_session_form_show":
      note("Form \"" + event.form_name + "\" sent to the visitor");
      break;
    case "chat_session_form_data":
    case "chat_session_secure_form_data":
      var data = event.data;
      var text = typeof data === "string" ? data : Object.keys(data || {}).map(function (k) { return k + ": " + data[k]; }).join("\n");
      line(chat, event, "Form \"" + event.form_name + "\":\n" + text);
      break;
    case "chat_session_file":
      var li = el("li", mine(event) ? "mine" : "");
      li.setAttribute("data-testid", "agent-message");
      li.appendChild(el("span", "from", who(chat, event.party_id)));
      var link = el("a", "text", event.file_name || "file");
      link.href = "/agent/api/chats/" + encodeURIComponent(chat.id) + "/files/" + encodeURIComponent(event.file_id) + "?token=" + encodeURIComponent(token);
      link.target = "_blank";
      link.rel = "noopener";
      li.appendChild(link);
      append(li);
      break;
    case "chat_session_navigation":
      note("Visitor is on " + (event.title ? event.title + " (" + event.page + ")" : event.page));
      break;
    case "chat_session_disconnect":
      note("The visitor left the conversation");
      break;
    case "chat_session_end":
      note("The visitor ended the chat");
      break;
    case "chat_session_ended":
      note("The chat has ended");
      break;
    case "chat_session_timeout_warning":
    case "chat_session_inactivity_timeout":
      note(event.msg || event.event);
      break;
    case "chat_session_message_read":
      note("Read by the visitor");
      break;
    }
  }

  // The reply box: Enter sends, and the visitor sees the agent typing.
  function setTyping(on) {
    if (on === typing || !current || !me) {
      return;
    }
    typing = on;
    send([{ event: on ? "chat_session_typing" : "chat_session_not_typing", party_id: me.party_id }]);
  }

  $("reply").addEventListener("input", function () {
    setTyping($("reply").value.trim() !== "");
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { setTyping(false); }, 3000);
  });

  $("reply").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });

  $("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("reply").value.trim();
    if (!text) {
      return;
    }
    send([{ event: "chat_session_message", msg: text, party_id: me.party_id }]);
    $("reply").value = "";
    setTyping(false);
  });

  $("take").addEventListener("click", function () {
    api("/chats/" + encodeURIComponent(current.id) + "/take", {
      method: "POST",
      body: JSON.stringify({ event: "chat_session_party_joined", party_id: me.party_id, first_name: me.first, last_name: me.last, display_name: me.name, type: "internal" })
    }).catch(function (err) { note(err.message); });
  });

  $("push-form").addEventListener("click", function () {
    send([{ event: "chat_session_form_show", form_request_id: "agent-" + Date.now(), form_name: $("form-name").value }]);
  });

  $("end").addEventListener("click", function () {
    if (confirm("End this chat for the visitor?")) {
      send([{ event: "chat_session_ended" }]);
    }
  });

  $("file").addEventListener("change", function () {
    var file = $("file").files[0];
    if (!file) {
      return;
    }
    var body = new FormData();
    body.append("file", file);
    api("/chats/" + encodeURIComponent(current.id) + "/files?party_id=" + encodeURIComponent(me.party_id), { method: "POST", body: body })
      .then(function (up) {
        send([{ event: "chat_session_file", file_id: up.file_id, file_name: up.file_name, party_id: me.party_id }]);
      })
      .catch(function (err) { note("Upload failed: " + err.message); });
    $("file").value = "";
  });

  api("/forms").then(function (list) {
    forms = list.forms;
    forms.forEach(function (name) {
      var option = el("option", "", name);
      option.value = name;
      $("form-name").appendChild(option);
    });
  }).catch(function (err) {
    $("no-chats").textContent = "The agent API refused the token: " + err.message;
  });

  showMe();
  pollChats(0);
})();
