/*
 * Parley agent console. It is built only on the agent API (see the README):
 * a long poll for the list of open chats, and a WebSocket per open chat for
 * its events, both ways; where WebSockets fail (a proxy that refuses them),
 * the API's long poll and POST instead. Every text from the network goes
 * into the page as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  // Timing: a socket silent for HEARTBEAT is asked for an answer, and any
  // answer may take ANSWER; a typing indicator nobody renews goes after
  // TYPING_SHOWN, so an agent who goes on typing says so again every
  // TYPING_RENEW.
  var HEARTBEAT = 20000, ANSWER = 5000, TYPING_SHOWN = 15000, TYPING_RENEW = 10000;
  // The API's limit on a message, in UTF-8 bytes.
  var MAX_TEXT_BYTES = 16384;

  // Storage may be refused (a browser that blocks cookies): the console then
  // keeps its state for the page's life.
  function stored(area, key, value) {
    try {
      if (value === undefined) {
        return window[area].getItem(key);
      }
      window[area].setItem(key, value);
    } catch (e) {
      return null;
    }
    return value;
  }

  var params = new URLSearchParams(location.search);
  var token = params.get("token") || stored("sessionStorage", "parley.agent.token") || "";
  if (params.get("token")) {
    // Keep the token out of the address bar, screenshots and history.
    stored("sessionStorage", "parley.agent.token", token);
    history.replaceState(null, "", location.pathname);
  }

  var $ = function (id) { return document.getElementById(id); };
  var me = null;
  try {
    me = JSON.parse(stored("localStorage", "parley.agent.me") || "null");
  } catch (e) {
    me = null;
  }
  var chats = {};
  var forms = [];
  var readCounts = {};
  // The chat open in the console: {id, socket, polling, lastSeq, epoch,
  // parties, closed, failures, heard, asked}.
  var current = null;
  var typing = false;
  var typingSent = 0;
  var typingTimer = 0;
  var visitorTypingTimer = 0;
  var lastRef = 0;
  // The call on, if any: {chat, pc, stream, audio (the microphone's
  // sender), video, phase, requestVideo, candidates (the visitor's, before
  // the answer), since, ring (its timer)}. signalId numbers the agent's
  // signals, as integers: Bright Pattern's Android demo reads them so.
  var call = null;
  var signalId = 0;
  // How long a call may ring before the agent gives up on it: as long as
  // the server holds an offer for a visitor who is away.
  var RING = 60000;

  // The agent API's paths, as the server names them (server.PathAgent*,
  // which a test of the server's holds these to); wildcards in braces.
  var PATHS = {
    chats: "/agent/api/chats",
    forms: "/agent/api/forms",
    iceServers: "/agent/api/iceservers",
    take: "/agent/api/chats/{chatId}/take",
    events: "/agent/api/chats/{chatId}/events",
    socket: "/agent/api/chats/{chatId}/socket",
    files: "/agent/api/chats/{chatId}/files",
    file: "/agent/api/chats/{chatId}/files/{fileId}"
  };

  // path fills the wildcards of one of PATHS from values and adds query's
  // parameters, each escaped.
  function path(template, values, query) {
    var filled = template.replace(/\{(\w+)\}/g, function (_, name) { return encodeURIComponent(values[name]); });
    return query ? filled + "?" + new URLSearchParams(query).toString() : filled;
  }

  function api(url, options) {
    options = options || {};
    options.headers = Object.assign({ Authorization: "Bearer " + token }, options.headers || {});
    return fetch(url, options).then(function (resp) {
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
    stored("localStorage", "parley.agent.me", JSON.stringify(me));
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
    api(path(PATHS.chats, {}, { since: version })).then(function (list) {
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
    return Number(stored("localStorage", "parley.agent.read." + id) || readCounts[id] || 0);
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
        readCounts[id] = c.visitor_messages;
        stored("localStorage", "parley.agent.read." + id, String(c.visitor_messages));
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

  // One chat: its stream over the agent socket, resumed after a drop; over
  // the long poll when sockets fail.
  function openChat(id) {
    if (call && call.chat.id !== id) {
      hangUp("You left the call's chat");
    }
    if (current) {
      current.closed = true;
      if (current.socket) {
        current.socket.close();
      }
    }
    // lastSignal is the last call signal seen (signal_seq), and signals
    // those the agent said while the socket was away.
    current = { id: id, lastSeq: 0, epoch: "", parties: {}, closed: false, failures: 0, lastSignal: 0, signals: [] };
    $("chat").hidden = false;
    $("lines").textContent = "";
    $("visitor-typing").hidden = true;
    connect(current);
    updateChatHead();
    renderList();
  }

  // Frames written on the socket that wait for the server's answer, by ref:
  // {done, at}.
  var waiting = {};

  // receive applies a frame of the chat's stream, or the answer to a frame.
  function receive(chat, frame) {
    chat.heard = Date.now();
    if (frame.ref === "heartbeat") {
      chat.asked = 0;
      return;
    }
    if (frame.ref && waiting[frame.ref]) {
      waiting[frame.ref].done(!frame.error_code);
      delete waiting[frame.ref];
    }
    if (frame.error_code) {
      note("Refused: " + frame.error_message);
      return;
    }
    if (frame.epoch && frame.epoch !== chat.epoch) {
      if (chat.epoch) {
        $("lines").textContent = "";
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
  }

  function connect(chat) {
    if (chat.failures >= 2) {
      chat.polling = true;
      updateChatHead();
      return poll(chat);
    }
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
      path(PATHS.socket, { chatId: chat.id }, {
        token: token, party_id: me ? me.party_id : "", after: chat.lastSeq, epoch: chat.epoch, signal: chat.lastSignal
      });
    var socket = new WebSocket(url);
    var opened = false;
    chat.socket = socket;
    socket.onopen = function () {
      opened = true;
      chat.failures = 0;
      chat.heard = Date.now();
      chat.asked = 0;
      var waitingSignals = chat.signals;
      chat.signals = [];
      waitingSignals.forEach(function (event) { send([event]); });
    };
    socket.onmessage = function (message) {
      receive(chat, JSON.parse(message.data));
    };
    socket.onclose = function (close) {
      $("visitor-typing").hidden = true;
      Object.keys(waiting).forEach(function (ref) {
        waiting[ref].done(false);
        delete waiting[ref];
      });
      if (chat.closed || close.code === 4404 || close.code === 4403) {
        return;
      }
      if (!opened) {
        chat.failures += 1;
      }
      setTimeout(function () { connect(chat); }, 1000);
    };
  }

  // poll follows the chat over the agent API's long poll.
  function poll(chat) {
    if (chat.closed) {
      return;
    }
    api(path(PATHS.events, { chatId: chat.id }, {
      after: chat.lastSeq, epoch: chat.epoch, signal: chat.lastSignal, party_id: me ? me.party_id : ""
    })).then(function (frame) {
      receive(chat, frame);
      poll(chat);
    }).catch(function () {
      setTimeout(function () { poll(chat); }, 2000);
    });
  }

  function socketOpen() {
    return !!current && !!current.socket && current.socket.readyState === WebSocket.OPEN;
  }

  // A socket that went silent (a network that drops packets) is given up
  // within seconds of a frame or a heartbeat the server did not answer; it
  // is asked at once when the browser comes back online or the page
  // becomes visible.
  function check(force) {
    if (!socketOpen()) {
      return;
    }
    var now = Date.now();
    var late = Object.keys(waiting).some(function (ref) { return now - waiting[ref].at >= ANSWER; });
    if (late || current.asked && now - current.asked >= ANSWER) {
      current.socket.close();
      return;
    }
    if (!current.asked && (force || now - current.heard >= HEARTBEAT)) {
      current.asked = now;
      current.socket.send(JSON.stringify({ ref: "heartbeat" }));
    }
  }
  setInterval(check, 1000);
  addEventListener("online", function () { check(true); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      check(true);
    }
  });

  // newID is 128 random bits in hex: a msg_id, an idempotency key.
  // crypto.getRandomValues works on plain http too, unlike randomUUID.
  function newID() {
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  // send hands events to the chat, and resolves to whether the server took
  // them: over the socket, or with a POST when the console long-polls. A
  // POST carries an idempotency key, the first event's msg_id when it has
  // one, so sending it again after its answer was lost stores it once.
  function send(events) {
    if (current && current.polling) {
      return api(path(PATHS.events, { chatId: current.id }), {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": events[0].msg_id || newID() },
        body: JSON.stringify({ events: events })
      }).then(function () { return true; }, function (err) {
        note("Not sent: " + err.message);
        return false;
      });
    }
    if (!socketOpen()) {
      note("Not connected; try again in a moment.");
      return Promise.resolve(false);
    }
    lastRef += 1;
    var ref = String(lastRef);
    return new Promise(function (done) {
      waiting[ref] = { done: done, at: Date.now() };
      current.socket.send(JSON.stringify({ ref: ref, events: events }));
    });
  }

  function updateChatHead() {
    var c = chats[current.id];
    $("chat").setAttribute("data-transport", current.polling ? "polling" : "socket");
    var mine = c && me && c.agent === me.party_id;
    $("chat-title").textContent = c ? visitorName(c) : "Chat " + current.id.slice(0, 8);
    $("chat-state").textContent = c ? (c.state + (c.agent ? ", taken by " + c.agent : ", nobody has taken it")) : "ended";
    $("take").disabled = !me || !c || !!c.agent;
    ["push-form", "end", "reply", "file"].forEach(function (id) { $(id).disabled = !mine; });
    $("composer").querySelector("button").disabled = !mine;
    $("call-audio").disabled = $("call-video").disabled = !mine || !!call;
  }

  function note(text) {
    var li = el("li", "note", text);
    li.setAttribute("data-testid", "agent-note");
    append(li);
  }

  function append(li) {
    $("lines").appendChild(li);
    $("transcript").scrollTop = $("transcript").scrollHeight;
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
      if (event.party_id === chat.id) {
        typingNote.hidden = false;
        clearTimeout(visitorTypingTimer);
        visitorTypingTimer = setTimeout(function () { typingNote.hidden = true; }, TYPING_SHOWN);
      }
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
      link.href = path(PATHS.file, { chatId: chat.id, fileId: event.file_id }, { token: token });
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
      chatOver(chat);
      break;
    case "chat_session_ended":
      note("The chat has ended");
      chatOver(chat);
      break;
    case "chat_session_timeout_warning":
      note(event.msg || event.event);
      break;
    case "chat_session_inactivity_timeout":
      note(event.msg || event.event);
      chatOver(chat);
      break;
    case "chat_session_signaling":
      signaled(chat, event);
      break;
    case "chat_session_message_read":
      note("Read by the visitor");
      break;
    }
  }

  // The reply box: Enter sends, and the visitor sees the agent typing.
  function setTyping(on) {
    var renew = on && typing && Date.now() - typingSent >= TYPING_RENEW;
    if ((on === typing && !renew) || !me || !socketOpen() && !(current && current.polling)) {
      return;
    }
    typing = on;
    typingSent = Date.now();
    send([{ event: on ? "chat_session_typing" : "chat_session_not_typing", party_id: me.party_id }]);
  }

  // utf8Bytes counts as the server does.
  function utf8Bytes(text) {
    return new TextEncoder().encode(text).length;
  }

  $("reply").addEventListener("input", function () {
    setTyping($("reply").value.trim() !== "");
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { setTyping(false); }, 3000);
  });

  // The Enter that confirms an input method's conversion comes after
  // compositionend in some browsers, with isComposing false: its keyCode,
  // 229, tells it apart.
  var composing = false;
  $("reply").addEventListener("compositionstart", function () { composing = true; });
  $("reply").addEventListener("compositionend", function () { composing = false; });
  $("reply").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229 && !composing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });

  // The reply stays in the box until it went: only sending empties it. It
  // keeps its msg_id until then, so a reply sent again after its answer
  // was lost (the socket dropped) is stored once.
  var draft = { text: "", id: "" };
  $("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("reply").value.trim();
    if (!text) {
      return;
    }
    if (utf8Bytes(text) > MAX_TEXT_BYTES) {
      var chars = Array.from(text);
      var over = 0;
      while (utf8Bytes(chars.join("")) > MAX_TEXT_BYTES) {
        chars.pop();
        over += 1;
      }
      note("Your reply is too long: shorten it by " + over + " characters to send it.");
      return;
    }
    if (draft.text !== text) {
      draft = { text: text, id: newID() };
    }
    send([{ event: "chat_session_message", msg_id: draft.id, msg: text, party_id: me.party_id }]).then(function (sent) {
      if (!sent) {
        note("Your reply was not sent; it is kept in the box.");
        return;
      }
      if (draft.text === text) {
        draft = { text: "", id: "" };
      }
      if ($("reply").value.trim() === text) {
        $("reply").value = "";
        setTyping(false);
      }
    });
  });

  $("take").addEventListener("click", function () {
    api(path(PATHS.take, { chatId: current.id }), {
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
    api(path(PATHS.files, { chatId: current.id }, { party_id: me.party_id }), { method: "POST", body: body })
      .then(function (up) {
        send([{ event: "chat_session_file", msg_id: newID(), file_id: up.file_id, file_name: up.file_name, party_id: me.party_id }]);
      })
      .catch(function (err) { note("Upload failed: " + err.message); });
    $("file").value = "";
  });


  // Calls. The agent offers (OFFER_CALL), the visitor answers (ANSWER_CALL)
  // or declines (CALL_REJECTED); a visitor may ask for a call
  // (REQUEST_CALL), which the agent accepts by offering one. Both trickle
  // ICE candidates; either hangs up (END_CALL). The server holds the
  // signals for a side that is away for a moment, and resumes from the
  // last one seen (signal_seq).
  function sendSignal(chat, data) {
    signalId += 1;
    var event = { event: "chat_session_signaling", party_id: me.party_id, destination_party_id: chat.id, msg_id: String(signalId), data: data };
    if (chat.polling || socketOpen()) {
      return send([event]);
    }
    chat.signals.push(event);
    return Promise.resolve(true);
  }

  function showCall() {
    var panel = $("call");
    var phase = call ? call.phase : "idle";
    panel.hidden = !call;
    panel.setAttribute("data-phase", phase);
    $("call-accept").hidden = $("call-decline").hidden = phase !== "requested";
    $("call-mute").hidden = $("call-hangup").hidden = phase === "requested" || !call;
    $("call-camera").hidden = !call || !call.video || phase === "requested";
    $("call-videos").hidden = !call || phase === "requested";
    $("call-timer").textContent = call && call.since ? clock(Date.now() - call.since) : "";
    if (current) {
      updateChatHead();
    }
  }

  function clock(ms) {
    var s = Math.floor(ms / 1000);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }
  setInterval(function () {
    if (call && call.since) {
      $("call-timer").textContent = clock(Date.now() - call.since);
    }
  }, 1000);

  function callStatus(text) {
    $("call-status").textContent = text;
  }

  // A visitor's signal to this agent.
  function signaled(chat, event) {
    if (event.signal_seq) {
      if (event.signal_seq <= chat.lastSignal) {
        return;
      }
      chat.lastSignal = event.signal_seq;
    }
    var data = event.data || {};
    var ours = call && call.chat === chat;
    switch (data.type) {
    case "REQUEST_CALL":
      if (call) {
        sendSignal(chat, { type: "CALL_REJECTED" });
        return;
      }
      call = { chat: chat, phase: "requested", requestVideo: String(data.offerVideo) === "true", candidates: [] };
      callStatus("The visitor asks for a " + (call.requestVideo ? "video call" : "call"));
      note("The visitor asks for a " + (call.requestVideo ? "video call" : "call"));
      showCall();
      break;
    case "ANSWER_CALL":
      if (ours && call.pc && call.pc.signalingState === "have-local-offer") {
        call.phase = "connecting";
        callStatus("Connecting…");
        call.pc.setRemoteDescription({ type: "answer", sdp: data.sdp }).then(function () {
          call.candidates.forEach(addCandidate);
          call.candidates = [];
        }).catch(function (err) { hangUp("The visitor's answer failed: " + err.message); });
        showCall();
      }
      break;
    case "ICE_CANDIDATE":
      if (ours && call.pc) {
        if (call.pc.remoteDescription) {
          addCandidate(data);
        } else {
          call.candidates.push(data);
        }
      }
      break;
    case "END_CALL":
      if (ours) {
        endCall(call.phase === "requested" ? "The visitor took the request back" : "The visitor hung up");
      }
      break;
    case "CALL_REJECTED":
      if (ours) {
        endCall("The visitor declined the call");
      }
      break;
    }
  }

  function addCandidate(data) {
    var init = { candidate: data.candidate || "" };
    if (data.sdpMid) {
      init.sdpMid = data.sdpMid;
    }
    if (data.sdpMLineIndex !== undefined && data.sdpMLineIndex !== null && data.sdpMLineIndex !== "") {
      init.sdpMLineIndex = Number(data.sdpMLineIndex);
    }
    call.pc.addIceCandidate(init).catch(function () {});
  }

  // placeCall offers the visitor a call, with the agent's camera when
  // video: the visitor's request accepted, or the agent's own idea.
  function placeCall(video) {
    if (!navigator.mediaDevices) {
      // A page on plain http elsewhere than this machine gets no devices.
      var why = "Calls need the console on https, or on this machine";
      return call ? hangUp(why) : note(why);
    }
    var chat = current;
    var request = call && call.phase === "requested";
    call = call || { chat: chat, candidates: [] };
    call.video = video;
    call.phase = "calling";
    callStatus("Starting the call…");
    showCall();
    var mine = call;
    Promise.all([
      navigator.mediaDevices.getUserMedia({ audio: true, video: video }),
      api(PATHS.iceServers).catch(function () { return { iceServers: [] }; })
    ]).then(function (got) {
      if (call !== mine) {
        got[0].getTracks().forEach(function (t) { t.stop(); });
        return;
      }
      var stream = got[0];
      var pc = new RTCPeerConnection({ iceServers: got[1].iceServers });
      mine.stream = stream;
      mine.pc = pc;
      $("call-local").srcObject = stream;
      stream.getTracks().forEach(function (track) {
        var sender = pc.addTrack(track, stream);
        if (track.kind === "audio") {
          mine.audio = sender;
        }
      });
      // The visitor's video comes whether the agent sends any or not.
      if (!video) {
        pc.addTransceiver("video", { direction: "recvonly" });
      }
      var remote = new MediaStream();
      $("call-remote").srcObject = remote;
      pc.ontrack = function (event) {
        remote.addTrack(event.track);
        $("call-remote").play().catch(function () {});
      };
      pc.onicecandidate = function (event) {
        if (event.candidate && event.candidate.candidate && call === mine) {
          var c = event.candidate;
          sendSignal(mine.chat, { type: "ICE_CANDIDATE", candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: String(c.sdpMLineIndex) });
        }
      };
      pc.onconnectionstatechange = function () {
        if (call !== mine) {
          return;
        }
        if (pc.connectionState === "connected" && !mine.since) {
          clearTimeout(mine.ring);
          mine.phase = "in-call";
          mine.since = Date.now();
          callStatus("In a call with the visitor");
          note("Call connected");
          showCall();
        } else if (pc.connectionState === "failed") {
          hangUp("The call's connection failed");
        }
      };
      return pc.createOffer().then(function (offer) {
        return pc.setLocalDescription(offer);
      }).then(function () {
        if (call !== mine) {
          return;
        }
        sendSignal(mine.chat, { type: "OFFER_CALL", sdp: pc.localDescription.sdp, offerVideo: video ? "true" : "false" });
        callStatus("Calling the visitor…");
        mine.ring = setTimeout(function () {
          if (call === mine && !mine.since) {
            hangUp("No answer");
          }
        }, RING);
      });
    }).catch(function (err) {
      if (call !== mine) {
        return;
      }
      if (request) {
        sendSignal(mine.chat, { type: "CALL_REJECTED" });
      }
      endCall("Your " + (video ? "microphone or camera" : "microphone") + " could not be used: " + (err.name || "") + " " + err.message);
    });
  }

  // hangUp ends the call, telling the visitor.
  function hangUp(why) {
    if (!call) {
      return;
    }
    sendSignal(call.chat, { type: call.phase === "requested" ? "CALL_REJECTED" : "END_CALL" });
    endCall(why);
  }

  // endCall lets go of the call's devices and shows why it ended.
  function endCall(why) {
    if (!call) {
      return;
    }
    clearTimeout(call.ring);
    if (call.pc) {
      call.pc.onconnectionstatechange = call.pc.onicecandidate = call.pc.ontrack = null;
      call.pc.close();
    }
    if (call.stream) {
      call.stream.getTracks().forEach(function (t) { t.stop(); });
    }
    $("call-local").srcObject = $("call-remote").srcObject = null;
    $("call-mute").setAttribute("aria-pressed", "false");
    $("call-mute").textContent = "Mute";
    $("call-camera").setAttribute("aria-pressed", "false");
    $("call-camera").textContent = "Camera off";
    call = null;
    note(why);
    callStatus(why);
    showCall();
    $("call").hidden = false;
    $("call").setAttribute("data-phase", "ended");
    $("call-videos").hidden = true;
  }

  function chatOver(chat) {
    if (call && call.chat === chat) {
      endCall("The chat ended, and the call with it");
    }
  }

  $("call-audio").addEventListener("click", function () { placeCall(false); });
  $("call-video").addEventListener("click", function () { placeCall(true); });
  $("call-accept").addEventListener("click", function () {
    if (call && call.phase === "requested") {
      placeCall(call.requestVideo);
    }
  });
  $("call-decline").addEventListener("click", function () { hangUp("You declined the visitor's call"); });
  $("call-hangup").addEventListener("click", function () { hangUp("You hung up"); });
  $("call-mute").addEventListener("click", function () {
    if (!call || !call.audio) {
      return;
    }
    var muted = $("call-mute").getAttribute("aria-pressed") !== "true";
    var track = call.stream.getAudioTracks()[0];
    track.enabled = !muted;
    // A muted microphone's sender has no track: not a packet leaves.
    call.audio.replaceTrack(muted ? null : track);
    $("call-mute").setAttribute("aria-pressed", String(muted));
    $("call-mute").textContent = muted ? "Unmute" : "Mute";
  });
  $("call-camera").addEventListener("click", function () {
    if (!call || !call.stream) {
      return;
    }
    var off = $("call-camera").getAttribute("aria-pressed") !== "true";
    call.stream.getVideoTracks().forEach(function (t) { t.enabled = !off; });
    $("call-camera").setAttribute("aria-pressed", String(off));
    $("call-camera").textContent = off ? "Camera on" : "Camera off";
  });

  api(PATHS.forms).then(function (list) {
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
