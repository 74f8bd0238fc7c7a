-- Times are Unix nanoseconds, so they round-trip exactly; NULL is the zero
-- time, which has no Unix nanoseconds.

CREATE TABLE chats (
	id                 TEXT PRIMARY KEY,
	app_id             TEXT NOT NULL,
	client_id          TEXT NOT NULL,
	token              TEXT NOT NULL,
	epoch              TEXT NOT NULL,
	state              TEXT NOT NULL,
	request            TEXT NOT NULL, -- protocol.ChatRequest as JSON
	created            INTEGER,
	agent              TEXT NOT NULL DEFAULT '',
	last_seq           INTEGER NOT NULL DEFAULT 0,
	visitor_messages   INTEGER NOT NULL DEFAULT 0,
	last_visitor_event INTEGER
) STRICT;

-- A client never has two chats that are not over, whoever writes the file:
-- the states listed are the ones protocol.ChatState.Over reports. Every
-- query for open chats repeats this WHERE clause word for word, so that
-- SQLite may use these indexes for it.
CREATE UNIQUE INDEX chats_open_client ON chats (app_id, client_id)
	WHERE state NOT IN ('completed', 'failed');
CREATE INDEX chats_open_created ON chats (created)
	WHERE state NOT IN ('completed', 'failed');

-- A chat's events are read in ranges of seq, so they are stored clustered by
-- (chat_id, seq). body is protocol.MarshalEvent's output, seq included.
CREATE TABLE events (
	chat_id    TEXT NOT NULL REFERENCES chats (id),
	seq        INTEGER NOT NULL,
	body       TEXT NOT NULL,
	dedupe_key TEXT,
	PRIMARY KEY (chat_id, seq)
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX events_dedupe ON events (chat_id, dedupe_key)
	WHERE dedupe_key IS NOT NULL;

-- A file's bytes are in files/<id> beside the database.
CREATE TABLE files (
	id           TEXT PRIMARY KEY,
	chat_id      TEXT NOT NULL REFERENCES chats (id),
	party_id     TEXT NOT NULL,
	name         TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         INTEGER NOT NULL,
	created      INTEGER
) STRICT;

CREATE INDEX files_party ON files (chat_id, party_id);
