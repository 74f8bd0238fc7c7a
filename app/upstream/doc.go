// Package upstream is Parley's upstream mode: each chat of the widget is a
// chat on an operator's Bright Pattern Contact Center tenant, with its
// agents and scenarios, and the widget does not know the difference.
//
// A [Bridge] serves the server's chats (it implements server.Chats and
// server.Tenant) over a local chat.Service, so Parley keeps its guarantees
// in front of the tenant: every event the tenant sends is stored in the
// chat's stream, with its sequence number, before the widget sees it, and
// the widget resumes after a reload or a reconnect exactly as in embedded
// mode. The tenant is reached with a [Client], as Bright Pattern's mobile
// SDKs reach it.
//
// For each open chat the bridge runs a follower:
//
//   - It asks for the chat upstream (Request Chat with the visitor's
//     parameters and a clientId of the bridge's own, kept with the chat, so
//     that asking again finds the same chat).
//   - It keeps exactly one Get New Chat Events long poll at a time, puts
//     what each answer brings in the chat's inbox (the Store) as it came,
//     then publishes it in the chat, each event at most once under what
//     names it upstream (its msg_id, form_request_id, party and time; its
//     place in the inbox for what has none), so neither a repeated event
//     nor a retried poll is shown twice. Form request ids are numbered as
//     Parley's clients read them, and go back as the tenant sent them;
//     agents' files stay on the tenant and downloads are proxied.
//   - It sends the visitor's events in order from the chat's outbox (the
//     Store), where Send put them; the widget's frame is answered as soon
//     as an event is there. An event is stored in the chat's stream, and so
//     shown as sent, only once the tenant took it: Bright Pattern does not
//     echo a visitor's events. A file is uploaded first, then its event
//     sent. When an answer is lost on the way (a timeout, a dropped
//     connection) the chat's history upstream says whether the event
//     arrived, so it is never sent twice.
//   - It retries what fails for a while (timeouts, 5xx, refused connections,
//     empty answers) with backoff and jitter; after Grace of failing, the
//     chat's widgets are told the contact center is reconnecting
//     (protocol.Upstream), and again when it is back. 5509 (another poll
//     waits) backs off; 5005 ends the chat for the visitor; the tenant
//     refusing the credentials (1000, 2000 to 2004, 3000, 5006) stops the
//     chat and says so in the operator's log.
//
// Run resumes every open chat from what the Store kept, after a restart or
// a kill -9: its inbox not yet published, its outbox not yet accepted, and
// what the history upstream holds that a lost poll answer carried.
//
// One process bridges a tenant's chats: the followers of two processes
// would poll the same chats.
package upstream
