// Package chat is the server's model of conversations: chats, their streams
// of stored events, and the live subscriptions that follow them.
//
// A [Service] is the one way in. Every event it accepts is validated, stamped
// with its sender and time, stored with the next sequence number of its
// chat's stream, and only then delivered to the chat's subscribers, in
// sequence order. A subscriber that resumes from a [protocol.Position] gets
// exactly the events after it: nothing lost, nothing twice. Typing events are
// delivered but not stored.
//
// Storage is behind the narrow [Store] interface; [MemoryStore] keeps
// everything in memory for tests and throwaway demos.
package chat
