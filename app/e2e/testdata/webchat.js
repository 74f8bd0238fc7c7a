// A page that drives the API as Bright Pattern's web client does
// (rachmanov/brightpattern, js/chat-api-session.js): XHR with credentials,
// clientId "WebChat" (the server tells visitors apart by its cookie), API
// v1, a &timestamp= on every URL, a long poll that is aborted after 13 s and
// sent again at once, msg_id '' + n with n = 1, 3, 5... It renders what
// comes as text.
(function () {
  "use strict";
  var api = new URLSearchParams(location.search).get("api") + "/clientweb/api/v1";
  var tenant = "tenantUrl=" + encodeURIComponent("https://tenant.example.com/");
  var chat = { sessionId: "", state: "", msgId: 1, ended: false, errors: [] };
  window.chat = chat;

  // sendXhr is the web client's, without jQuery.
  function sendXhr(endpoint, method, data, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, api + "/" + endpoint + "&timestamp=" + new Date().getTime());
    xhr.withCredentials = true;
    xhr.setRequestHeader("Authorization", 'MOBILE-API-140-327-PLAIN appId="demo", clientId="WebChat"');
    if (data) {
      xhr.setRequestHeader("Content-Type", "application/json; charset=utf-8");
    }
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      done(xhr.status, body);
    };
    xhr.onerror = function () { done(0, null); };
    xhr.send(data ? JSON.stringify(data) : null);
    return xhr;
  }

  function show(from, text) {
    var li = document.createElement("li");
    li.setAttribute("data-from", from);
    li.textContent = text;
    document.querySelector("[data-testid=log]").appendChild(li);
  }

  function setState(state) {
    chat.state = state;
    document.querySelector("[data-testid=state]").textContent = state;
  }

  function handleEvent(e) {
    switch (e.event) {
      case "chat_session_status":
        setState(e.state);
        break;
      case "chat_session_message":
        if (e.party_id !== chat.sessionId) {
          show("agent", e.msg);
        }
        break;
      case "chat_session_ended":
      case "chat_session_inactivity_timeout":
        chat.ended = true;
        setState("ended");
        break;
    }
  }

  function poll() {
    var request = null;
    var timeout = setTimeout(function () {
      if (request && !chat.ended) {
        request.abort();
      }
      timeout = null;
      poll();
    }, 13000);
    request = sendXhr("chats/" + chat.sessionId + "/events?" + tenant, "GET", null, function (status, r) {
      if (status !== 200) {
        chat.errors.push(status);
        return;
      }
      (r.events || []).forEach(handleEvent);
      if (timeout) {
        clearTimeout(timeout);
        if (!chat.ended) {
          poll();
        }
      }
    });
  }

  chat.send = function (text) {
    show("me", text);
    sendXhr("chats/" + chat.sessionId + "/events?" + tenant, "POST",
      { events: [{ event: "chat_session_message", msg: text, msg_id: "" + chat.msgId }] }, function (status) {
        if (status !== 200) {
          chat.errors.push(status);
        }
      });
    chat.msgId += 2;
  };

  // history asks for a chat's history, any chat's, and keeps the answer.
  chat.history = function (id) {
    return new Promise(function (resolve) {
      sendXhr("chats/" + id + "/history?" + tenant, "GET", null, function (status, body) {
        resolve({ status: status, body: body });
      });
    });
  };

  document.querySelector("[data-testid=composer]").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = document.querySelector("[data-testid=input]");
    if (input.value) {
      chat.send(input.value);
      input.value = "";
    }
  });

  sendXhr("chats?" + tenant, "POST", { phone_number: "", from: "A shopper", parameters: {} }, function (status, r) {
    if (status !== 200) {
      chat.errors.push(status);
      setState("failed");
      return;
    }
    chat.sessionId = r.chat_id;
    chat.isNew = r.is_new_chat;
    setState(r.state);
    poll();
  });
})();
