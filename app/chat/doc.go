// Package chat is the server's model of conversations: chats, their streams
// of stored events, and the live subscriptions that follow them.
//
// A [Service] is the one way in. Every event it accepts is validated, stamped
// with its sender and time, stored with the next sequence number of its
// chat's stream, and only then delivered to the chat's subscribers, in
// sequence order. A subscriber that resumes from a [protocol.Position] gets
// exactly the events after it: nothing lost, nothing twice. Ephemeral events
// (typing, call signals; protocol.Ephemeral) are delivered but not stored.
//
// Storage is behind the narrow [Store] interface; [MemoryStore] keeps
// everything in memory for tests and throwaway demos, app/sqlite and
// app/postgres keep it for good.
//
// # The path of one message
//
// A visitor writes "hello" and presses Enter; an agent reads it in the
// console.
//
//  1. In the browser, the window's message box, widget.Composer
//     (widget/composer.go), takes the key in onKeyDown and hands the draft
//     to widget.Actions.Send, which the live window implements:
//     live.Chat.Send (widget/live/actions.go).
//  2. live.Chat.Send calls client.Session.SendMessage
//     (widget/client/send.go), which makes a protocol.Message,
//     checks it with protocol.ValidateClientEvent, gives it the page's
//     next msg_id ("tab:n", outbox.nextID) and queues it in the outbox
//     (widget/client/outbox.go), kept in the browser's localStorage
//     (client.Memory) until the server confirms it. The window shows it
//     at once as pending: widget.Transcript.AddPending.
//  3. The session's writer, Session.write (widget/client/link.go), sends
//     it as a frame of the API's envelope, {"events":[...],"ref":"n"}, on
//     the chat's WebSocket (protocol.PathChatSocket, opened by
//     Session.connect with the chat's token and position).
//  4. On the server, Server.visitorSocket (app/server/socket.go) opens the
//     chat's Subscription (Service.Subscribe) and, in readFrames, reads
//     the frame, decodes it (protocol.DecodeEnvelope) and hands its events
//     to the server's Chats, this package's Service.Send
//     (app/chat/visitor.go).
//  5. Service.Send admits them: validated, counted against the visitor's
//     rate limits (Limiter, one budget per kind of event), stamped with
//     the chat id as party_id and the server's time, each keyed by
//     DedupeKey (app/chat/dedupe.go: for a message, its sender, its
//     msg_id and a hash of its content). Service.post (app/chat/send.go),
//     the one path of both sides (an agent's events come through
//     Service.PublishAsAgent, app/chat/publish.go), stores them with
//     Store.Append: with SQLite (app/sqlite/events.go) the appends
//     waiting at once share one transaction and one sync (Store.commit,
//     commitGroup), where groupRows.append gives the chat's next seq,
//     the events table's dedupe index drops a true resend, and
//     Chat.Apply updates the chat's row; the append returns only after
//     the commit. Only then does Service.Stored hand the events to the hub,
//     which delivers them to every Subscription of the chat, in seq
//     order, and to the Observer (the scenario). With PostgreSQL
//     (app/postgres), the commit also tells the other processes (the
//     Fanout), whose subscribers read the events from the table.
//  6. readFrames answers the frame: Subscription.Reply(ref) queues
//     {"ref":"n"} for the visitor's socket. The client's Session.receive
//     takes the message out of the outbox: stored, it is never sent
//     again.
//  7. The agent console (web/agent/console.js) follows the chat on the
//     agent API's socket (server.PathAgentSocket, Server.agentSocket),
//     a Subscription made by Service.Subscribe. The subscription's Notify
//     wakes the socket's socketWriter (app/server/socketwriter.go), whose
//     drain writes the deliveries that are ready, those that follow each
//     other joined into one envelope of up to a mebibyte
//     (socketWriter.send), and ends: no goroutine waits per delivery. The
//     console draws the message as text.
//  8. The visitor's own socket delivers the stored message too, now with
//     its seq: Session.receive reports it in a client.Update, and
//     live.Chat.apply gives it to widget.Transcript.Apply, which confirms
//     the pending line (Transcript.confirm): the window marks it sent.
//     Receipts the contact center's side publishes for it
//     (chat_session_message_delivered and chat_session_message_read,
//     through Service.Publish) come back the same way and move the mark
//     on to delivered and read.
package chat
