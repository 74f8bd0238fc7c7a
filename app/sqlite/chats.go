package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// notOver selects the chats that are not over. It is the WHERE clause of
// the partial indexes in 001_init.sql, word for word, so that SQLite uses
// them.
const notOver = `state NOT IN ('completed', 'failed')`

var (
	selectChat       = declare(`SELECT ` + chat.ChatColumns + ` FROM chats WHERE id = ?`)
	selectActiveChat = declare(`SELECT ` + chat.ChatColumns + ` FROM chats WHERE app_id = ? AND client_id = ? AND ` + notOver)
	selectOpenChats  = declare(`SELECT ` + chat.ChatColumns + ` FROM chats WHERE ` + notOver + ` ORDER BY created, rowid`)
	selectChatExists = declare(`SELECT EXISTS (SELECT 1 FROM chats WHERE id = ?)`)
	selectCaseChats  = declare(`SELECT ` + chat.ChatColumns + ` FROM chats WHERE case_id = ? AND case_id != '' ORDER BY created, rowid`)
	insertChatRow    = declare(`INSERT INTO chats (` + chat.ChatColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	updateChatRow    = declare(`UPDATE chats SET state = ?, last_seq = ?, visitor_messages = ?, last_visitor_event = ?, ewt = ?, ewt_at = ?, case_id = ? WHERE id = ?`)
	updateChatAgent  = declare(`UPDATE chats SET agent = ? WHERE id = ?`)
	updatePollCursor = declare(`UPDATE chats SET poll_cursor = ? WHERE id = ?`)
	updateNotify     = declare(`UPDATE chats SET notifications = ? WHERE id = ?`)
)

// OpenChat implements chat.Store.
func (s *Store) OpenChat(ctx context.Context, c chat.Chat) (_ chat.Chat, isNew bool, err error) {
	defer wrap(&err, "opening a chat for client %s of app %s", c.ClientID, c.AppID)
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return chat.Chat{}, false, err
	}
	defer tx.Rollback()
	active, err := findActiveChat(ctx, tx, c.AppID, c.ClientID)
	if err == nil {
		return active, false, nil
	}
	if !errors.Is(err, chat.ErrNotFound) {
		return chat.Chat{}, false, err
	}
	if err := insertChat(ctx, tx, c); err != nil {
		if !isUniqueViolation(err) {
			return chat.Chat{}, false, err
		}
		// Another chat for the client appeared between the read and the
		// insert, which only a writer that does not take the write lock
		// at BEGIN allows, such as another program sharing the file. It
		// won.
		active, err := findActiveChat(ctx, tx, c.AppID, c.ClientID)
		return active, false, err
	}
	if err := tx.Commit(); err != nil {
		return chat.Chat{}, false, err
	}
	return c, true, nil
}

// Chat implements chat.Store.
func (s *Store) Chat(ctx context.Context, id string) (_ chat.Chat, err error) {
	defer wrap(&err, "reading chat %s", id)
	tx, err := s.beginRead(ctx)
	if err != nil {
		return chat.Chat{}, err
	}
	defer tx.Rollback()
	return findChat(ctx, tx, id)
}

// ActiveChat implements chat.Store.
func (s *Store) ActiveChat(ctx context.Context, appID, clientID string) (_ chat.Chat, err error) {
	defer wrap(&err, "reading the active chat of client %s of app %s", clientID, appID)
	tx, err := s.beginRead(ctx)
	if err != nil {
		return chat.Chat{}, err
	}
	defer tx.Rollback()
	return findActiveChat(ctx, tx, appID, clientID)
}

// OpenChats implements chat.Store. Chats created at the same instant come in
// the order they were opened.
func (s *Store) OpenChats(ctx context.Context) (_ []chat.Chat, err error) {
	defer wrap(&err, "listing open chats")
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.query(ctx, selectOpenChats)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return chat.ScanChats(rows)
}

// Assign implements chat.Store.
func (s *Store) Assign(ctx context.Context, id, agent string) (err error) {
	defer wrap(&err, "assigning chat %s to %s", id, agent)
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	c, err := findChat(ctx, tx, id)
	if err != nil {
		return err
	}
	if changed, err := c.Assign(agent); !changed {
		return err
	}
	if _, err := tx.exec(ctx, updateChatAgent, agent, id); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// Once Assign returns, no group reads the agent the row had: a group
	// under way finishes with the row first, and the next reads it anew.
	s.rowsMu.Lock()
	delete(s.rows, id)
	s.rowsMu.Unlock()
	return nil
}

func insertChat(ctx context.Context, tx txn, c chat.Chat) error {
	request, err := json.Marshal(c.Request)
	if err != nil {
		return err
	}
	notifications, err := json.Marshal(c.Notifications)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, insertChatRow, c.ID, c.AppID, c.ClientID, c.Token, c.Epoch, c.State, string(request), toNanos(c.Created),
		c.Agent, int64(c.LastSeq), c.VisitorMessages, toNanos(c.LastVisitorEvent),
		int64(c.EWT), toNanos(c.EWTAt), c.CaseID, int64(c.PollCursor), string(notifications))
	return err
}

// SetPollCursor implements chat.Store.
func (s *Store) SetPollCursor(ctx context.Context, id string, seq uint64) (err error) {
	defer wrap(&err, "moving the poll cursor of chat %s to %d", id, seq)
	return s.updateOne(ctx, updatePollCursor, int64(min(seq, math.MaxInt64)), id)
}

// SetNotifications implements chat.Store.
func (s *Store) SetNotifications(ctx context.Context, id string, sub protocol.NotificationSubscription) (err error) {
	defer wrap(&err, "subscribing chat %s to notifications", id)
	data, err := json.Marshal(sub)
	if err != nil {
		return err
	}
	return s.updateOne(ctx, updateNotify, string(data), id)
}

// updateOne runs an UPDATE of one chat, whose id is its last argument;
// chat.ErrNotFound when there is no such chat.
func (s *Store) updateOne(ctx context.Context, q query, args ...any) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = chat.ErrNotFound
		}
		return err
	}
	return tx.Commit()
}

// CaseChats implements chat.Store.
func (s *Store) CaseChats(ctx context.Context, caseID string) (_ []chat.Chat, err error) {
	defer wrap(&err, "listing the chats of case %q", caseID)
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.query(ctx, selectCaseChats, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return chat.ScanChats(rows)
}

func findChat(ctx context.Context, tx txn, id string) (chat.Chat, error) {
	return chat.ScanChat(tx.queryRow(ctx, selectChat, id), sql.ErrNoRows)
}

func findActiveChat(ctx context.Context, tx txn, appID, clientID string) (chat.Chat, error) {
	return chat.ScanChat(tx.queryRow(ctx, selectActiveChat, appID, clientID), sql.ErrNoRows)
}

// chatExists is for methods whose query finds nothing both for a chat that
// has nothing and for no chat at all.
func chatExists(ctx context.Context, tx txn, id string) error {
	var exists bool
	if err := tx.queryRow(ctx, selectChatExists, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return chat.ErrNotFound
	}
	return nil
}

// updateChat stores what chat.Chat.Apply keeps: the state and the counters.
func updateChat(ctx context.Context, tx txn, c chat.Chat) error {
	_, err := tx.exec(ctx, updateChatRow, c.State, int64(c.LastSeq), c.VisitorMessages, toNanos(c.LastVisitorEvent),
		int64(c.EWT), toNanos(c.EWTAt), c.CaseID, c.ID)
	return err
}
