// Package widget is the visitor's chat window, compiled to WebAssembly with
// go-app and prerendered by the server, and the Session it talks through.
//
// [Register] adds the window to go-app's routes; both the wasm program and
// the server call it, so the server can prerender the frame the browser
// paints before the wasm starts. [Session] is the client side of the chat
// protocol (Request Chat, then a WebSocket carrying {"events":[...]} frames);
// it builds natively too, so Go tests drive it against a real server.
//
// Everything that came from the network is rendered as text.
package widget
