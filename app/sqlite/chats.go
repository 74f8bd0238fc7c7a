package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/parleychat/parley/app/chat"
)

// notOver selects the chats that are not over. It is the WHERE clause of
// the partial indexes in 001_init.sql, word for word, so that SQLite uses
// them.
const notOver = `state NOT IN ('completed', 'failed')`

const chatColumns = `id, app_id, client_id, token, epoch, state, request, created,
	agent, last_seq, visitor_messages, last_visitor_event`

var (
	selectChat       = declare(`SELECT ` + chatColumns + ` FROM chats WHERE id = ?`)
	selectActiveChat = declare(`SELECT ` + chatColumns + ` FROM chats WHERE app_id = ? AND client_id = ? AND ` + notOver)
	selectOpenChats  = declare(`SELECT ` + chatColumns + ` FROM chats WHERE ` + notOver + ` ORDER BY created, rowid`)
	selectChatExists = declare(`SELECT EXISTS (SELECT 1 FROM chats WHERE id = ?)`)
	insertChatRow    = declare(`INSERT INTO chats (` + chatColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	updateChatRow    = declare(`UPDATE chats SET state = ?, last_seq = ?, visitor_messages = ?, last_visitor_event = ? WHERE id = ?`)
	updateChatAgent  = declare(`UPDATE chats SET agent = ? WHERE id = ?`)
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
	var open []chat.Chat
	for rows.Next() {
		c, err := scanChat(rows)
		if err != nil {
			return nil, err
		}
		open = append(open, c)
	}
	return open, rows.Err()
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
	switch {
	case err != nil:
		return err
	case c.Agent == agent:
		return nil
	case c.Agent != "":
		return chat.ErrTaken
	}
	if _, err := tx.exec(ctx, updateChatAgent, agent, id); err != nil {
		return err
	}
	return tx.Commit()
}

func insertChat(ctx context.Context, tx txn, c chat.Chat) error {
	request, err := json.Marshal(c.Request)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, insertChatRow, c.ID, c.AppID, c.ClientID, c.Token, c.Epoch, c.State, string(request), toNanos(c.Created),
		c.Agent, int64(c.LastSeq), c.VisitorMessages, toNanos(c.LastVisitorEvent))
	return err
}

func findChat(ctx context.Context, tx txn, id string) (chat.Chat, error) {
	return scanChat(tx.queryRow(ctx, selectChat, id))
}

func findActiveChat(ctx context.Context, tx txn, appID, clientID string) (chat.Chat, error) {
	return scanChat(tx.queryRow(ctx, selectActiveChat, appID, clientID))
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
	_, err := tx.exec(ctx, updateChatRow, c.State, int64(c.LastSeq), c.VisitorMessages, toNanos(c.LastVisitorEvent), c.ID)
	return err
}

// scanChat reads a row of chatColumns; sql.ErrNoRows is chat.ErrNotFound.
func scanChat(row interface{ Scan(...any) error }) (chat.Chat, error) {
	var (
		c                      chat.Chat
		request                string
		lastSeq                int64
		created, visitorActive sql.NullInt64
	)
	err := row.Scan(&c.ID, &c.AppID, &c.ClientID, &c.Token, &c.Epoch, &c.State, &request, &created,
		&c.Agent, &lastSeq, &c.VisitorMessages, &visitorActive)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Chat{}, chat.ErrNotFound
	}
	if err != nil {
		return chat.Chat{}, err
	}
	if err := json.Unmarshal([]byte(request), &c.Request); err != nil {
		return chat.Chat{}, err
	}
	c.Created = fromNanos(created)
	c.LastSeq = uint64(lastSeq)
	c.LastVisitorEvent = fromNanos(visitorActive)
	return c, nil
}
