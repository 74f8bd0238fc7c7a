// Package client is the visitor's side of the chat protocol: what the chat
// window uses to reach the server, and what Go tests drive against a real
// one.
//
// Start with [Session]: [NewSession] with a [Config] (the server's origin,
// the launch point), then [Session.Run], which calls Request Chat and keeps
// a WebSocket to the chat open (GET chats/{chatId}/socket, frames of the
// API's {"events":[...]} envelope both ways), reconnecting with backoff and
// jitter and resuming from its [protocol.Position], and falling back to the
// API's long poll where WebSockets fail. [Session.Updates] reports what
// happens, in order: the connection's state ([ConnState]), the events of
// the chat's stream, what the server refused. [Session.Send] and
// [Session.SendMessage] queue what the visitor does in the outbox, which
// keeps every event the server has not confirmed in [Memory], so that a
// reload sends it again under the same msg_id; [Session.Upload] sends a
// file ([Attachment]) before the chat_session_file that names it.
//
// The visitor's pages share Memory and [Locks]: each page is a tab of its
// own (its msg_ids are "tab:n"), the visitor's id is made once under a
// lock, and the outbox of a page that closed is adopted by exactly one
// other page.
//
// # Browser
//
// The package builds for js/wasm, where the chat window runs it, and
// natively, where Go tests and programs run it. In the browser:
//
//   - HTTP requests (Request Chat, the long poll, [Get]) go through the
//     browser's fetch, not Go's net/http client, which would link a whole
//     HTTP/1 and HTTP/2 client into the wasm; uploads go through
//     XMLHttpRequest, the one browser API that reports an upload's
//     progress, and the file's bytes never pass through Go.
//   - [PageStorage] is the browser's localStorage, shared by the visitor's
//     pages of the server's origin, and Web Locks (navigator.locks). A
//     browser that refuses storage, or has no Web Locks (an insecure
//     context), gets the page's memory and lets every page through: the
//     server drops a true resend, so each message is still stored once.
//   - An [Attachment] is the browser's File object ([Attachments] reads a
//     FileList), checked by its first bytes before it is uploaded.
//
// Natively, requests use net/http, PageStorage is the program's memory and
// [ProcessLocks], and an Attachment holds bytes ([NewAttachment]).
package client
