// The queue, as a website would put it in its own script: calls made before
// the loader ran wait in Parley.q.
window.Parley = window.Parley || function () { (window.Parley.q = window.Parley.q || []).push(arguments); };
window.seen = [];
Parley("setVisitor", { name: "Ada Lovelace", email: "ada@example.com", fields: { plan: "gold" } });
["open", "close", "message", "file", "unread", "ended"].forEach(function (name) {
  Parley("on", name, function (detail) {
    window.seen.push({ name: name, text: detail && (detail.text !== undefined ? detail.text : detail.name), author: detail && detail.author, count: detail && detail.count });
  });
});
