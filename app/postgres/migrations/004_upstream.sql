-- The upstream bridge (issue 13): for each chat it bridges to an operator's
-- Bright Pattern tenant, who the chat is upstream and how far its queues got,
-- and the queues themselves: the inbox (what the upstream's polls delivered,
-- as it came) and the outbox (the visitor's events the upstream has not
-- accepted yet). body is an event's JSON; key is the entry's key, bytes as
-- in events (it may hold NUL bytes), and dedupe_key its SHA-256.
CREATE TABLE upstream (
	chat_id     text PRIMARY KEY REFERENCES chats (id),
	client_id   text NOT NULL,
	upstream_id text NOT NULL DEFAULT '',
	published   bigint NOT NULL DEFAULT 0,
	sent        bigint NOT NULL DEFAULT 0,
	stopped     text NOT NULL DEFAULT ''
);

CREATE TABLE upstream_queue (
	chat_id    text NOT NULL REFERENCES chats (id),
	box        text NOT NULL,
	n          bigint NOT NULL,
	body       text NOT NULL,
	key        bytea NOT NULL DEFAULT '\x',
	dedupe_key bytea,
	PRIMARY KEY (chat_id, box, n)
);

CREATE UNIQUE INDEX upstream_queue_dedupe ON upstream_queue (chat_id, box, dedupe_key)
	WHERE dedupe_key IS NOT NULL;
