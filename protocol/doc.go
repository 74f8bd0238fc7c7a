// Package protocol is the vocabulary Parley shares between the browser widget,
// the server and their tests: the Bright Pattern Contact Center Mobile/Web API
// v2 chat events of both directions, the {"events":[...]} envelope, the error
// envelope and its codes, the Authorization header, msg_id values, form
// schemas and the API paths.
//
// # Events
//
// Every event is a pointer to a struct that implements [Event]. The same Go
// type serves both directions when the wire name is the same: a visitor's
// [Message] is sent without party_id or timestamp, and the server returns it
// in history with both set, exactly as the API does. [ClientEvents] and
// [ServerEvents] list which names each side may send; [ValidateClientEvent]
// and [ValidateServerEvent] enforce them.
//
// Start with [DecodeEnvelope] and [EncodeEnvelope]. Decoding is forgiving in
// the ways real servers and SDKs differ from the documents (timestamps in
// seconds or milliseconds, numbers sent as strings and the reverse) and never
// fails on a single bad event: an event of a type the API does not name
// becomes an [Unknown], one with fields of the wrong shape a [Malformed], and
// both keep their JSON. Encoding writes the documented shapes.
//
// # Errors
//
// [Error] is the API's error envelope. [Code.HTTPStatus] is the one table
// from error code to HTTP status.
//
// # Parley extensions
//
// Parley adds a few fields that Bright Pattern clients ignore: seq on stored
// events (the position in the chat's stream), signal_seq on call signals
// (the position among the signals a server holds), token and epoch on the
// Request Chat answer, and ref and epoch on WebSocket frames. They are
// marked where they are declared.
package protocol
