-- What Bright Pattern's own clients need of a chat (issue 10): the wait
-- Request Chat answers with, the CRM case of Get Case History, the cursor of
-- the long poll that carries no position, and the notification subscription.
ALTER TABLE chats ADD COLUMN ewt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN ewt_at INTEGER;
ALTER TABLE chats ADD COLUMN case_id TEXT NOT NULL DEFAULT '';
ALTER TABLE chats ADD COLUMN poll_cursor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN notifications TEXT NOT NULL DEFAULT '{}'; -- protocol.NotificationSubscription as JSON

CREATE INDEX chats_case ON chats (case_id, created) WHERE case_id != '';
