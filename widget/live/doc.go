// Package live runs the chat window in the browser: [Chat], the root
// component the wasm program registers with [Register], starts the
// visitor's client (widget/client), takes what it reports, and sets the
// inputs of the window's components (package widget) from it; what the
// visitor does comes back through widget.Actions, which Chat implements.
//
// What the window decides is kept in plain Go types that tests drive
// without a DOM: the connection's state and how the header words it
// (connection), when read receipts go ([receipts]), when typing is told
// (typingTracker), which page of the host's site the contact center hears
// of (navigator), and the host page's messages (host.go and postmessage.go,
// the vocabulary shared with the loader, app/loader/widget.js).
//
// The window talks to the page that embeds it (the loader) with
// postMessage, only with the origin named in its URL (?host=).
package live
