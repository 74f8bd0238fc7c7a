-- Times are Unix nanoseconds, so they round-trip exactly (timestamptz keeps
-- microseconds); NULL is the zero time, which has no Unix nanoseconds.

CREATE TABLE chats (
	id                 text PRIMARY KEY,
	app_id             text NOT NULL,
	client_id          text NOT NULL,
	token              text NOT NULL,
	epoch              text NOT NULL,
	state              text NOT NULL,
	request            text NOT NULL, -- protocol.ChatRequest as JSON
	created            bigint,
	agent              text NOT NULL DEFAULT '',
	last_seq           bigint NOT NULL DEFAULT 0,
	visitor_messages   integer NOT NULL DEFAULT 0,
	last_visitor_event bigint,
	-- opened orders chats created at the same instant.
	opened             bigserial
);

-- A client never has two chats that are not over, whichever process writes:
-- the states listed are the ones protocol.ChatState.Over reports. Queries
-- for open chats repeat this WHERE clause, so the planner uses these
-- indexes, and OpenChat's ON CONFLICT names it.
CREATE UNIQUE INDEX chats_open_client ON chats (app_id, client_id)
	WHERE state NOT IN ('completed', 'failed');
CREATE INDEX chats_open_created ON chats (created)
	WHERE state NOT IN ('completed', 'failed');

-- body is protocol.MarshalEvent's output, seq included. dedupe_key is the
-- SHA-256 of the entry's key: keys hold what clients sent (NUL bytes, any
-- length), which neither text nor an index entry takes.
CREATE TABLE events (
	chat_id    text NOT NULL REFERENCES chats (id),
	seq        bigint NOT NULL,
	body       text NOT NULL,
	dedupe_key bytea,
	PRIMARY KEY (chat_id, seq)
);

CREATE UNIQUE INDEX events_dedupe ON events (chat_id, dedupe_key)
	WHERE dedupe_key IS NOT NULL;

-- A file's bytes are in file_chunks, chunkSize bytes a row, so that a
-- download reads only what it sends and no row nears PostgreSQL's limits.
CREATE TABLE files (
	id           text PRIMARY KEY,
	chat_id      text NOT NULL REFERENCES chats (id),
	party_id     text NOT NULL,
	name         text NOT NULL,
	content_type text NOT NULL,
	size         bigint NOT NULL,
	created      bigint
);

CREATE INDEX files_party ON files (chat_id, party_id);

CREATE TABLE file_chunks (
	file_id text NOT NULL REFERENCES files (id),
	n       integer NOT NULL,
	data    bytea NOT NULL,
	PRIMARY KEY (file_id, n)
);
