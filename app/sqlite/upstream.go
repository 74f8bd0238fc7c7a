package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math"

	"github.com/parleychat/parley/app/chat"
)

const upstreamColumns = `chat_id, client_id, upstream_id, published, sent, stopped`

var (
	upsertUpstream = declare(`INSERT INTO upstream (` + upstreamColumns + `) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (chat_id) DO UPDATE SET client_id = excluded.client_id, upstream_id = excluded.upstream_id,
		published = excluded.published, sent = excluded.sent, stopped = excluded.stopped`)
	selectUpstream   = declare(`SELECT ` + upstreamColumns + ` FROM upstream WHERE chat_id = ?`)
	selectLastQueued = declare(`SELECT COALESCE(MAX(n), 0) FROM upstream_queue WHERE chat_id = ? AND box = ?`)
	selectQueueKey   = declare(`SELECT EXISTS (SELECT 1 FROM upstream_queue WHERE chat_id = ? AND box = ? AND dedupe_key = ?)`)
	insertQueued     = declare(`INSERT INTO upstream_queue (chat_id, box, n, body, dedupe_key) VALUES (?, ?, ?, ?, ?)`)
	selectQueued     = declare(`SELECT n, body, COALESCE(dedupe_key, '') FROM upstream_queue WHERE chat_id = ? AND box = ? AND n > ? ORDER BY n LIMIT ?`)
)

// SaveUpstream implements chat.Store.
func (s *Store) SaveUpstream(ctx context.Context, u chat.Upstream) (err error) {
	defer wrap(&err, "saving the upstream of chat %s", u.ChatID)
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := chatExists(ctx, tx, u.ChatID); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, upsertUpstream, u.ChatID, u.ClientID, u.UpstreamID,
		int64(min(u.Published, math.MaxInt64)), int64(min(u.Sent, math.MaxInt64)), u.Stopped); err != nil {
		return err
	}
	return tx.Commit()
}

// Upstream implements chat.Store.
func (s *Store) Upstream(ctx context.Context, chatID string) (_ chat.Upstream, err error) {
	defer wrap(&err, "reading the upstream of chat %s", chatID)
	tx, err := s.beginRead(ctx)
	if err != nil {
		return chat.Upstream{}, err
	}
	defer tx.Rollback()
	return scanUpstream(tx.queryRow(ctx, selectUpstream, chatID))
}

// Enqueue implements chat.Store. The batch is one transaction.
func (s *Store) Enqueue(ctx context.Context, chatID string, box chat.Box, entries []chat.Queued) (_ []chat.Queued, err error) {
	defer wrap(&err, "queueing in the %s box of chat %s", box, chatID)
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := chatExists(ctx, tx, chatID); err != nil {
		return nil, err
	}
	var last int64
	if err := tx.queryRow(ctx, selectLastQueued, chatID, string(box)).Scan(&last); err != nil {
		return nil, err
	}
	var added []chat.Queued
	for _, e := range entries {
		if e.Key != "" {
			var dup bool
			if err := tx.queryRow(ctx, selectQueueKey, chatID, string(box), e.Key).Scan(&dup); err != nil {
				return nil, err
			}
			if dup {
				continue
			}
		}
		last++
		if _, err := tx.exec(ctx, insertQueued, chatID, string(box), last, string(e.Body),
			sql.NullString{String: e.Key, Valid: e.Key != ""}); err != nil {
			return nil, err
		}
		added = append(added, chat.Queued{N: uint64(last), Body: e.Body, Key: e.Key})
	}
	if len(added) == 0 {
		return nil, nil
	}
	return added, tx.Commit()
}

// Queue implements chat.Store. A limit below one returns nothing.
func (s *Store) Queue(ctx context.Context, chatID string, box chat.Box, after uint64, limit int) (_ []chat.Queued, err error) {
	defer wrap(&err, "reading the %s box of chat %s after %d", box, chatID, after)
	after = min(after, math.MaxInt64)
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.query(ctx, selectQueued, chatID, string(box), int64(after), max(limit, 0))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var page []chat.Queued
	for rows.Next() {
		var (
			n    int64
			body string
			q    chat.Queued
		)
		if err := rows.Scan(&n, &body, &q.Key); err != nil {
			return nil, err
		}
		q.N, q.Body = uint64(n), []byte(body)
		page = append(page, q)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page) == 0 {
		return nil, chatExists(ctx, tx, chatID)
	}
	return page, nil
}

// scanUpstream reads a row of upstreamColumns; sql.ErrNoRows is
// chat.ErrNotFound.
func scanUpstream(row interface{ Scan(...any) error }) (chat.Upstream, error) {
	var (
		u               chat.Upstream
		published, sent int64
	)
	err := row.Scan(&u.ChatID, &u.ClientID, &u.UpstreamID, &published, &sent, &u.Stopped)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Upstream{}, chat.ErrNotFound
	}
	if err != nil {
		return chat.Upstream{}, err
	}
	u.Published, u.Sent = uint64(published), uint64(sent)
	return u, nil
}
