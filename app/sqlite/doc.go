// Package sqlite is the chat.Store that keeps Parley's chats on disk, in an
// embedded SQLite database (modernc.org/sqlite: pure Go, no cgo).
//
// [Open] takes a directory and keeps everything in it:
//
//	parley.db, parley.db-wal, parley.db-shm   the database, in WAL mode
//	files/<id>                                the bytes of each shared file
//
// The database holds three tables, created by the numbered scripts in
// migrations/, which Open applies once each, in order, and lists in a
// fourth, migrations:
//
//   - chats: one row per chat, with the counters chat.Chat.Count keeps;
//   - events: each chat's stream, one row per event, keyed by (chat, seq),
//     the body being protocol.MarshalEvent's JSON;
//   - files: the metadata of each shared file.
//
// # Durability
//
// Every method is one transaction, committed with synchronous=FULL before it
// returns: what a method acknowledged survives a crash of the process or of
// the machine. A file's bytes are synced under their final name before its
// row is committed, so a file that has a row has its bytes.
//
// # Concurrency
//
// A Store may be shared by goroutines, and its directory by processes.
// Transactions that write take SQLite's write lock at BEGIN, one at a time:
// a Store's writers queue for its one writing connection, and that
// connection waits up to five seconds for another process to let go of the
// lock. Readers never wait for writers, and see the last commit of any
// process. The invariants that matter across processes are in the schema: a
// client has at most one chat that is not over (a unique partial index), and
// a dedupe key appears once per chat.
package sqlite
