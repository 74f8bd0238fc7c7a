-- The visitors' rate limits, which every process shares: a token bucket
-- per chat and budget (chat.Budget), as it stood after its last take, at
-- Unix nanoseconds.
CREATE TABLE limits (
	chat_id text NOT NULL,
	budget  integer NOT NULL,
	tokens  double precision NOT NULL,
	at      bigint NOT NULL,
	PRIMARY KEY (chat_id, budget)
);

-- Leases on names, such as a chat's one waiting long poll, by the server's
-- clock, so that processes whose clocks disagree agree on who holds one.
CREATE TABLE leases (
	name  text PRIMARY KEY,
	token text NOT NULL,
	until timestamptz NOT NULL
);
