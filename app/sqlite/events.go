package sqlite

import (
	"context"
	"database/sql"
	"math"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

var (
	selectEvents   = declare(`SELECT seq, body FROM events WHERE chat_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
	selectKeyUsed  = declare(`SELECT EXISTS (SELECT 1 FROM events WHERE chat_id = ? AND dedupe_key = ?)`)
	insertEventRow = declare(`INSERT INTO events (chat_id, seq, body, dedupe_key) VALUES (?, ?, ?, ?)`)
)

// Append implements chat.Store. The batch is one transaction: all of it is
// stored, or none.
func (s *Store) Append(ctx context.Context, chatID string, entries []chat.Entry) (_ []protocol.Event, err error) {
	defer wrap(&err, "appending to chat %s", chatID)
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c, err := findChat(ctx, tx, chatID)
	if err != nil {
		return nil, err
	}
	var (
		stored []protocol.Event
		over   error
	)
	for _, e := range entries {
		if c.State.Over() {
			over = chat.ErrOver
			break
		}
		if e.Key != "" {
			// The batch's earlier entries are in this transaction, so
			// this sees their keys too.
			dup, err := hasKey(ctx, tx, chatID, e.Key)
			if err != nil {
				return nil, err
			}
			if dup {
				continue
			}
		}
		e.Event.EventMeta().Seq = c.LastSeq + 1
		body, err := protocol.MarshalEvent(e.Event)
		if err != nil {
			return nil, err
		}
		if err := insertEvent(ctx, tx, chatID, c.LastSeq+1, body, e.Key); err != nil {
			return nil, err
		}
		c.Apply(e.Event)
		stored = append(stored, e.Event)
	}
	// A batch of duplicates has nothing to commit: rolling it back spares
	// the chat's UPDATE and a sync.
	if len(stored) == 0 {
		return nil, over
	}
	if err := updateChat(ctx, tx, c); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return stored, over
}

// Events implements chat.Store. A limit below one returns nothing.
func (s *Store) Events(ctx context.Context, chatID string, after uint64, limit int) (_ []protocol.Event, err error) {
	defer wrap(&err, "reading chat %s after %d", chatID, after)
	// SQLite integers are signed: no stored seq is beyond the largest.
	after = min(after, math.MaxInt64)
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.query(ctx, selectEvents, chatID, int64(after), max(limit, 0))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var events []protocol.Event
	for rows.Next() {
		var (
			seq  int64
			body []byte
		)
		if err := rows.Scan(&seq, &body); err != nil {
			return nil, err
		}
		e, err := protocol.UnmarshalEvent(body)
		if err != nil {
			return nil, err
		}
		// Unknown and Malformed events are stored as they arrived, without
		// their seq; the column has it.
		e.EventMeta().Seq = uint64(seq)
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, chatExists(ctx, tx, chatID)
	}
	return events, nil
}

func hasKey(ctx context.Context, tx txn, chatID, key string) (bool, error) {
	var dup bool
	err := tx.queryRow(ctx, selectKeyUsed, chatID, key).Scan(&dup)
	return dup, err
}

// insertEvent stores an event; an empty key is NULL, which the dedupe index
// leaves out.
func insertEvent(ctx context.Context, tx txn, chatID string, seq uint64, body []byte, key string) error {
	_, err := tx.exec(ctx, insertEventRow, chatID, int64(seq), string(body), sql.NullString{String: key, Valid: key != ""})
	return err
}
