package postgres

import (
	"context"
	"errors"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/parleychat/parley/app/chat"
)

const upstreamColumns = `chat_id, client_id, upstream_id, published, sent, stopped`

// SaveUpstream implements chat.Store.
func (s *Store) SaveUpstream(ctx context.Context, u chat.Upstream) (err error) {
	defer wrap(&err, "saving the upstream of chat %s", u.ChatID)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := chatExists(ctx, tx, u.ChatID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO upstream (`+upstreamColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (chat_id) DO UPDATE SET client_id = excluded.client_id, upstream_id = excluded.upstream_id,
			published = excluded.published, sent = excluded.sent, stopped = excluded.stopped`,
			u.ChatID, u.ClientID, u.UpstreamID, int64(min(u.Published, math.MaxInt64)), int64(min(u.Sent, math.MaxInt64)), u.Stopped)
		return err
	})
}

// Upstream implements chat.Store.
func (s *Store) Upstream(ctx context.Context, chatID string) (_ chat.Upstream, err error) {
	defer wrap(&err, "reading the upstream of chat %s", chatID)
	return scanUpstream(s.pool.QueryRow(ctx, `SELECT `+upstreamColumns+` FROM upstream WHERE chat_id = $1`, chatID))
}

// Enqueue implements chat.Store. The batch is one transaction, holding the
// chat's row lock, so numbers never clash whoever writes.
func (s *Store) Enqueue(ctx context.Context, chatID string, box chat.Box, entries []chat.Queued) (_ []chat.Queued, err error) {
	defer wrap(&err, "queueing in the %s box of chat %s", box, chatID)
	var added []chat.Queued
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		added = nil
		if _, err := lockChat(ctx, tx, chatID); err != nil {
			return err
		}
		var last int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(n), 0) FROM upstream_queue WHERE chat_id = $1 AND box = $2`,
			chatID, string(box)).Scan(&last); err != nil {
			return err
		}
		for _, e := range entries {
			// The unique index skips a key the box has, the batch's
			// earlier entries included.
			tag, err := tx.Exec(ctx, `INSERT INTO upstream_queue (chat_id, box, n, body, key, dedupe_key) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (chat_id, box, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`,
				chatID, string(box), last+1, string(e.Body), []byte(e.Key), keyHash(e.Key))
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				last++
				added = append(added, chat.Queued{N: uint64(last), Body: e.Body, Key: e.Key})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// Queue implements chat.Store. A limit below one returns nothing.
func (s *Store) Queue(ctx context.Context, chatID string, box chat.Box, after uint64, limit int) (_ []chat.Queued, err error) {
	defer wrap(&err, "reading the %s box of chat %s after %d", box, chatID, after)
	rows, err := s.pool.Query(ctx, `SELECT n, body, key FROM upstream_queue WHERE chat_id = $1 AND box = $2 AND n > $3 ORDER BY n LIMIT $4`,
		chatID, string(box), int64(min(after, math.MaxInt64)), max(limit, 0))
	if err != nil {
		return nil, err
	}
	var page []chat.Queued
	for rows.Next() {
		var (
			n    int64
			body string
			key  []byte
		)
		if err := rows.Scan(&n, &body, &key); err != nil {
			rows.Close()
			return nil, err
		}
		page = append(page, chat.Queued{N: uint64(n), Body: []byte(body), Key: string(key)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page) == 0 {
		return nil, chatExists(ctx, s.pool, chatID)
	}
	return page, nil
}

// scanUpstream reads a row of upstreamColumns; no row is chat.ErrNotFound.
func scanUpstream(row pgx.Row) (chat.Upstream, error) {
	var (
		u               chat.Upstream
		published, sent int64
	)
	err := row.Scan(&u.ChatID, &u.ClientID, &u.UpstreamID, &published, &sent, &u.Stopped)
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.Upstream{}, chat.ErrNotFound
	}
	if err != nil {
		return chat.Upstream{}, err
	}
	u.Published, u.Sent = uint64(published), uint64(sent)
	return u, nil
}
