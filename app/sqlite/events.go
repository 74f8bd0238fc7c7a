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
// stored, or none. Appends to any chats that wait at the same time share a
// transaction and its sync (see committer): each is acknowledged only once
// that transaction committed.
func (s *Store) Append(ctx context.Context, chatID string, entries []chat.Entry) (_ []protocol.Event, err error) {
	defer wrap(&err, "appending to chat %s", chatID)
	req := &appendRequest{chatID: chatID, entries: entries, done: make(chan appendResult, 1)}
	select {
	case s.appends <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.closed:
		return nil, errClosed
	}
	// Once queued, the append is in the next transaction whatever ctx
	// says: the caller learns whether it was stored.
	r := <-req.done
	return r.stored, r.err
}

// appendRequest is an Append waiting for the committer.
type appendRequest struct {
	chatID  string
	entries []chat.Entry
	done    chan appendResult
}

type appendResult struct {
	stored []protocol.Event
	err    error
}

// maxGroup bounds how many appends share a transaction.
const maxGroup = 256

// commit runs the appends, one group at a time, until Close: a group is
// every append waiting when the last commit ended, so a lone append waits
// for nothing and a crowd pays one sync for all of it. Each append runs in
// a savepoint of the group's transaction, so one that fails (an unknown
// chat) costs the others nothing.
func (s *Store) commit() {
	defer close(s.committed)
	for {
		var group []*appendRequest
		select {
		case req := <-s.appends:
			group = append(group, req)
		case <-s.closed:
			return
		}
	gather:
		for len(group) < maxGroup {
			select {
			case req := <-s.appends:
				group = append(group, req)
			default:
				break gather
			}
		}
		s.commitGroup(group)
	}
}

func (s *Store) commitGroup(group []*appendRequest) {
	// The appends' own contexts are theirs to wait with, not to cancel a
	// transaction that others share.
	ctx := context.Background()
	results := make([]appendResult, len(group))
	fail := func(err error) {
		for _, req := range group {
			req.done <- appendResult{err: err}
		}
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		fail(err)
		return
	}
	defer tx.Rollback()
	// A lone append needs no savepoint: what it did not store is rolled
	// back with the transaction.
	shared := len(group) > 1
	wrote := false
	for i, req := range group {
		if shared {
			if _, err := tx.exec(ctx, savepoint); err != nil {
				fail(err)
				return
			}
		}
		stored, err := appendIn(ctx, tx, req.chatID, req.entries)
		results[i] = appendResult{stored: stored, err: err}
		if shared && err != nil && len(stored) == 0 {
			if _, err := tx.exec(ctx, rollbackToSavepoint); err != nil {
				fail(err)
				return
			}
		}
		if shared {
			if _, err := tx.exec(ctx, releaseSavepoint); err != nil {
				fail(err)
				return
			}
		}
		wrote = wrote || len(stored) > 0
	}
	// A group of duplicates has nothing to commit: rolling it back spares
	// a sync.
	if wrote {
		if err := tx.Commit(); err != nil {
			fail(err)
			return
		}
	}
	for i, req := range group {
		req.done <- results[i]
	}
}

var (
	savepoint           = declare(`SAVEPOINT append`)
	rollbackToSavepoint = declare(`ROLLBACK TO append`)
	releaseSavepoint    = declare(`RELEASE append`)
)

// appendIn stores entries at the end of the chat's stream in tx: as many
// as the chat takes before it is over (then with chat.ErrOver), or none
// with an error.
func appendIn(ctx context.Context, tx txn, chatID string, entries []chat.Entry) ([]protocol.Event, error) {
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
			// The earlier entries are in this transaction, so this sees
			// their keys too.
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
	if len(stored) == 0 {
		return nil, over
	}
	if err := updateChat(ctx, tx, c); err != nil {
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
