-- The upstream bridge (issue 13): for each chat it bridges to an operator's
-- Bright Pattern tenant, who the chat is upstream and how far its queues got,
-- and the queues themselves: the inbox (what the upstream's polls delivered,
-- as it came) and the outbox (the visitor's events the upstream has not
-- accepted yet). body is an event's JSON.
CREATE TABLE upstream (
	chat_id     TEXT PRIMARY KEY REFERENCES chats (id),
	client_id   TEXT NOT NULL,
	upstream_id TEXT NOT NULL DEFAULT '',
	published   INTEGER NOT NULL DEFAULT 0,
	sent        INTEGER NOT NULL DEFAULT 0,
	stopped     TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE upstream_queue (
	chat_id    TEXT NOT NULL REFERENCES chats (id),
	box        TEXT NOT NULL,
	n          INTEGER NOT NULL,
	body       TEXT NOT NULL,
	dedupe_key TEXT,
	PRIMARY KEY (chat_id, box, n)
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX upstream_queue_dedupe ON upstream_queue (chat_id, box, dedupe_key)
	WHERE dedupe_key IS NOT NULL;
