-- What Bright Pattern's own clients need of a chat: the wait Request Chat
-- answers with, the CRM case of Get Case History, the cursor of the long
-- poll that carries no position, and the notification subscription.
ALTER TABLE chats ADD COLUMN ewt integer NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN ewt_at bigint;
ALTER TABLE chats ADD COLUMN case_id text NOT NULL DEFAULT '';
ALTER TABLE chats ADD COLUMN poll_cursor bigint NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN notifications text NOT NULL DEFAULT '{}'; -- protocol.NotificationSubscription as JSON

CREATE INDEX chats_case ON chats (case_id, created) WHERE case_id != '';
