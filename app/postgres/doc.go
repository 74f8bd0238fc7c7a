// Package postgres is the chat.Store that keeps Parley's chats in a
// PostgreSQL database (github.com/jackc/pgx/v5), for operators who run
// several server processes behind one address.
//
// [Open] takes a database URL and keeps everything in the tables of the
// connection's schema, created by the numbered scripts in migrations/,
// which Open applies once each, in order, under an advisory lock, and lists
// in the migrations table:
//
//   - chats: one row per chat, with the counters chat.Chat.Apply keeps;
//   - events: each chat's stream, one row per event, keyed by (chat, seq),
//     the body being protocol.MarshalEvent's JSON;
//   - files and file_chunks: each shared file's metadata and its bytes, so
//     every process reads every file and no shared directory is needed.
//
// # Durability and order
//
// Every method is one transaction, committed before it returns, so with
// PostgreSQL's default synchronous_commit what a method acknowledged
// survives a crash. An append holds its chat's row lock (SELECT ... FOR
// UPDATE) until it commits: appends to one chat from any number of
// processes take turns, and sequence numbers are dense and in commit order.
//
// # Announcements
//
// The commit of an append also notifies the schema's channel with the chat
// and its new last sequence number. A process that follows chats listens on
// it and reads what it has not delivered yet from the events table: the
// notification says only where to read up to, never what happened, so a
// missed one costs nothing that the next read does not recover.
package postgres
