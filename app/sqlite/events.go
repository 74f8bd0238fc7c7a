package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

var (
	selectEvents   = declare(`SELECT seq, body FROM events WHERE chat_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
	insertEventRow = declare(`INSERT INTO events (chat_id, seq, body, dedupe_key) VALUES (?, ?, ?, ?)
		ON CONFLICT (chat_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`)
	selectDataVersion = declare(`PRAGMA data_version`)
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
// for nothing and a crowd pays one sync for all of it. An append refused
// before it wrote (an unknown chat, one that is over, an entry of a party
// that has not taken the chat) costs the others nothing; an error after it
// wrote (the disk's) fails them all. Each chat's row is written once per
// group, and read only when no group remembers it.
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
	s.rowsMu.Lock()
	defer s.rowsMu.Unlock()
	fail := func(err error) {
		clear(s.rows)
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
	if err := s.forgetOthersWrites(ctx, tx); err != nil {
		fail(err)
		return
	}
	g := groupRows{store: s, tx: tx, touched: map[string]chat.Chat{}}
	results := make([]appendResult, len(group))
	for i, req := range group {
		stored, err := g.append(ctx, req)
		if err != nil && !refusedBeforeWriting(err) {
			fail(err)
			return
		}
		results[i] = appendResult{stored: stored, err: err}
	}
	// A group of duplicates has nothing to commit: rolling it back spares
	// a sync.
	if len(g.touched) > 0 {
		for _, c := range g.touched {
			if err := updateChat(ctx, tx, c); err != nil {
				fail(err)
				return
			}
		}
		if err := tx.Commit(); err != nil {
			fail(err)
			return
		}
		s.remember(g.touched)
	}
	for i, req := range group {
		req.done <- results[i]
	}
}

// refusedBeforeWriting reports whether err is groupRows.append refusing an
// append before it wrote anything, which leaves the group's transaction as
// good as before.
func refusedBeforeWriting(err error) bool {
	return errors.Is(err, chat.ErrOver) || errors.Is(err, chat.ErrNotFound) || errors.Is(err, chat.ErrNotAgent)
}

// forgetOthersWrites empties the committer's rows when another connection,
// another process's, committed since the last group: SQLite's data_version
// changes then, and only then.
func (s *Store) forgetOthersWrites(ctx context.Context, tx txn) error {
	var version int64
	if err := tx.queryRow(ctx, selectDataVersion).Scan(&version); err != nil {
		return err
	}
	if version != s.dataVersion {
		clear(s.rows)
		s.dataVersion = version
	}
	return nil
}

// maxRows bounds the rows the committer remembers; past it they are read
// again.
const maxRows = 100_000

// remember keeps the rows a committed group left, and forgets the chats
// that are over, which take no more appends.
func (s *Store) remember(touched map[string]chat.Chat) {
	if len(s.rows)+len(touched) > maxRows {
		clear(s.rows)
	}
	for id, c := range touched {
		if c.State.Over() {
			delete(s.rows, id)
		} else {
			s.rows[id] = c
		}
	}
}

// groupRows is one group's view of the chats' rows: those it changed, over
// those the committer remembers, over the database's.
type groupRows struct {
	store   *Store
	tx      txn
	touched map[string]chat.Chat
}

func (g *groupRows) find(ctx context.Context, chatID string) (chat.Chat, error) {
	if c, ok := g.touched[chatID]; ok {
		return c, nil
	}
	if c, ok := g.store.rows[chatID]; ok {
		return c, nil
	}
	return findChat(ctx, g.tx, chatID)
}

// append stores the request's entries at the end of the chat's stream: as
// many as the chat takes before it is over (then with chat.ErrOver), or
// none with an error. An error that is not refusedBeforeWriting may leave
// rows written: the group must not commit.
func (g *groupRows) append(ctx context.Context, req *appendRequest) ([]protocol.Event, error) {
	c, err := g.find(ctx, req.chatID)
	if err != nil {
		return nil, err
	}
	if err := c.CheckAgents(req.entries); err != nil {
		return nil, err
	}
	var (
		stored []protocol.Event
		over   error
	)
	for _, e := range req.entries {
		if c.State.Over() {
			over = chat.ErrOver
			break
		}
		meta := e.Event.EventMeta()
		unstored := meta.Seq
		meta.Seq = c.LastSeq + 1
		body, err := protocol.MarshalEvent(e.Event)
		if err != nil {
			return nil, err
		}
		// The dedupe index refuses a key the chat used, by this
		// transaction's earlier entries too.
		inserted, err := insertEvent(ctx, g.tx, req.chatID, meta.Seq, body, e.Key)
		if err != nil {
			return nil, err
		}
		if !inserted {
			meta.Seq = unstored
			continue
		}
		c.Apply(e.Event)
		stored = append(stored, e.Event)
	}
	if len(stored) > 0 {
		g.touched[req.chatID] = c
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

// insertEvent stores an event; an empty key is NULL, which the dedupe index
// leaves out.
func insertEvent(ctx context.Context, tx txn, chatID string, seq uint64, body []byte, key string) (inserted bool, err error) {
	result, err := tx.exec(ctx, insertEventRow, chatID, int64(seq), string(body), sql.NullString{String: key, Valid: key != ""})
	if err != nil {
		return false, err
	}
	n, err := result.RowsAffected()
	return n == 1, err
}
