-- Call signals held for the party they are addressed to (chat.Signals),
-- until expires, by the database's clock. body is protocol.MarshalEvent's
-- output, signal_seq (seq) included; an SDP offer is larger than a NOTIFY
-- carries, so other processes read it from here.
CREATE TABLE signals (
	chat_id     text NOT NULL REFERENCES chats (id),
	seq         bigint NOT NULL,
	sender      text NOT NULL,
	destination text NOT NULL,
	type        text NOT NULL,
	body        text NOT NULL,
	expires     timestamptz NOT NULL,
	PRIMARY KEY (chat_id, seq)
);
CREATE INDEX signals_expires ON signals (expires);

-- Each chat's last signal number, whose row lock makes holds of one chat
-- take turns, and the last one the API's long poll answered with.
CREATE TABLE signal_chats (
	chat_id text PRIMARY KEY REFERENCES chats (id),
	last    bigint NOT NULL,
	polled  bigint NOT NULL DEFAULT 0
);
