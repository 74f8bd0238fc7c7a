package postgres

import (
	"context"
	"crypto/sha256"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// Append implements chat.Store. The batch is one transaction, all of it
// stored or none, holding the chat's row lock: two processes appending to
// one chat take turns, so sequence numbers never clash or skip, and an
// agent taking the chat (Assign) waits for the lock too. The commit
// also announces what it stored on the schema's channel (see Fanout).
func (s *Store) Append(ctx context.Context, chatID string, entries []chat.Entry) (_ []protocol.Event, err error) {
	defer wrap(&err, "appending to chat %s", chatID)
	var (
		stored []protocol.Event
		over   error
	)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		stored, over = nil, nil
		c, err := lockChat(ctx, tx, chatID)
		if err != nil {
			return err
		}
		if err := c.CheckAgents(entries); err != nil {
			return err
		}
		for _, e := range entries {
			if c.State.Over() {
				over = chat.ErrOver
				break
			}
			seq := c.LastSeq + 1
			e.Event.EventMeta().Seq = seq
			body, err := protocol.MarshalEvent(e.Event)
			if err != nil {
				return err
			}
			// The unique index skips a key the chat has, the batch's
			// earlier entries included.
			tag, err := tx.Exec(ctx, `INSERT INTO events (chat_id, seq, body, dedupe_key) VALUES ($1, $2, $3, $4)
				ON CONFLICT (chat_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`,
				chatID, int64(seq), string(body), keyHash(e.Key))
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				e.Event.EventMeta().Seq = 0
				continue
			}
			c.Apply(e.Event)
			stored = append(stored, e.Event)
		}
		if len(stored) == 0 {
			return nil
		}
		if err := updateChat(ctx, tx, c); err != nil {
			return err
		}
		return s.announce(ctx, tx, announcement{
			Kind: kindStored, Chat: chatID, After: stored[0].EventMeta().Seq - 1, Upto: c.LastSeq,
		})
	})
	if err != nil {
		return nil, err
	}
	return stored, over
}

// Events implements chat.Store. A limit below one returns nothing.
func (s *Store) Events(ctx context.Context, chatID string, after uint64, limit int) (_ []protocol.Event, err error) {
	defer wrap(&err, "reading chat %s after %d", chatID, after)
	// bigint is signed: no stored seq is beyond the largest.
	after = min(after, math.MaxInt64)
	rows, err := s.pool.Query(ctx, `SELECT seq, body FROM events WHERE chat_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		chatID, int64(after), max(limit, 0))
	if err != nil {
		return nil, err
	}
	var events []protocol.Event
	for rows.Next() {
		var (
			seq  int64
			body string
		)
		if err := rows.Scan(&seq, &body); err != nil {
			rows.Close()
			return nil, err
		}
		e, err := protocol.UnmarshalEvent([]byte(body))
		if err != nil {
			rows.Close()
			return nil, err
		}
		// Unknown and Malformed events are stored as they arrived, without
		// their seq; the column has it.
		e.EventMeta().Seq = uint64(seq)
		events = append(events, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, chatExists(ctx, s.pool, chatID)
	}
	return events, nil
}

// keyHash is the dedupe_key column's value for an entry's key: NULL for
// none, which the dedupe index leaves out.
func keyHash(key string) []byte {
	if key == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}
