package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// notOver selects the chats that are not over. It is the WHERE clause of
// the partial indexes in 001_init.sql, word for word.
const notOver = `state NOT IN ('completed', 'failed')`

// OpenChat implements chat.Store. The unique index on open chats decides a
// race between processes: the loser finds the winner's chat.
func (s *Store) OpenChat(ctx context.Context, c chat.Chat) (_ chat.Chat, isNew bool, err error) {
	defer wrap(&err, "opening a chat for client %s of app %s", c.ClientID, c.AppID)
	request, err := json.Marshal(c.Request)
	if err != nil {
		return chat.Chat{}, false, err
	}
	notifications, err := json.Marshal(c.Notifications)
	if err != nil {
		return chat.Chat{}, false, err
	}
	for {
		inserted := false
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO chats (`+chat.ChatColumns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
				ON CONFLICT (app_id, client_id) WHERE `+notOver+` DO NOTHING`,
				c.ID, c.AppID, c.ClientID, c.Token, c.Epoch, c.State, string(request), toNanos(c.Created),
				c.Agent, int64(c.LastSeq), c.VisitorMessages, toNanos(c.LastVisitorEvent),
				int64(c.EWT), toNanos(c.EWTAt), c.CaseID, int64(c.PollCursor), string(notifications))
			if err != nil || tag.RowsAffected() == 0 {
				return err
			}
			inserted = true
			return s.announce(ctx, tx, announcement{Kind: kindOpened, Chat: c.ID})
		})
		if err != nil {
			return chat.Chat{}, false, err
		}
		if inserted {
			return c, true, nil
		}
		active, err := chat.ScanChat(s.pool.QueryRow(ctx, `SELECT `+chat.ChatColumns+` FROM chats
			WHERE app_id = $1 AND client_id = $2 AND `+notOver, c.AppID, c.ClientID), pgx.ErrNoRows)
		// The chat in the way may have ended between the two statements:
		// then the insert goes through on the next turn.
		if !errors.Is(err, chat.ErrNotFound) {
			return active, false, err
		}
	}
}

// Chat implements chat.Store.
func (s *Store) Chat(ctx context.Context, id string) (_ chat.Chat, err error) {
	defer wrap(&err, "reading chat %s", id)
	return chat.ScanChat(s.pool.QueryRow(ctx, `SELECT `+chat.ChatColumns+` FROM chats WHERE id = $1`, id), pgx.ErrNoRows)
}

// ActiveChat implements chat.Store.
func (s *Store) ActiveChat(ctx context.Context, appID, clientID string) (_ chat.Chat, err error) {
	defer wrap(&err, "reading the active chat of client %s of app %s", clientID, appID)
	return chat.ScanChat(s.pool.QueryRow(ctx, `SELECT `+chat.ChatColumns+` FROM chats
		WHERE app_id = $1 AND client_id = $2 AND `+notOver, appID, clientID), pgx.ErrNoRows)
}

// OpenChats implements chat.Store. Chats created at the same instant come in
// the order they were opened.
func (s *Store) OpenChats(ctx context.Context) (_ []chat.Chat, err error) {
	defer wrap(&err, "listing open chats")
	return s.chats(ctx, `SELECT `+chat.ChatColumns+` FROM chats WHERE `+notOver+` ORDER BY created, opened`)
}

// Assign implements chat.Store. The row lock makes two agents racing from
// two processes take turns: the second sees the first's name.
func (s *Store) Assign(ctx context.Context, id, agent string) (err error) {
	defer wrap(&err, "assigning chat %s to %s", id, agent)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		c, err := lockChat(ctx, tx, id)
		if err != nil {
			return err
		}
		if changed, err := c.Assign(agent); !changed {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE chats SET agent = $1 WHERE id = $2`, agent, id)
		return err
	})
}

// SetPollCursor implements chat.Store.
func (s *Store) SetPollCursor(ctx context.Context, id string, seq uint64) (err error) {
	defer wrap(&err, "moving the poll cursor of chat %s to %d", id, seq)
	return s.updateOne(ctx, `UPDATE chats SET poll_cursor = $1 WHERE id = $2`, int64(min(seq, math.MaxInt64)), id)
}

// SetNotifications implements chat.Store.
func (s *Store) SetNotifications(ctx context.Context, id string, sub protocol.NotificationSubscription) (err error) {
	defer wrap(&err, "subscribing chat %s to notifications", id)
	data, err := json.Marshal(sub)
	if err != nil {
		return err
	}
	return s.updateOne(ctx, `UPDATE chats SET notifications = $1 WHERE id = $2`, string(data), id)
}

// updateOne runs an UPDATE of one chat; chat.ErrNotFound when there is no
// such chat.
func (s *Store) updateOne(ctx context.Context, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return chat.ErrNotFound
	}
	return nil
}

// CaseChats implements chat.Store.
func (s *Store) CaseChats(ctx context.Context, caseID string) (_ []chat.Chat, err error) {
	defer wrap(&err, "listing the chats of case %q", caseID)
	return s.chats(ctx, `SELECT `+chat.ChatColumns+` FROM chats WHERE case_id = $1 AND case_id != '' ORDER BY created, opened`, caseID)
}

// chats runs a query of chat.ChatColumns.
func (s *Store) chats(ctx context.Context, sql string, args ...any) ([]chat.Chat, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return chat.ScanChats(rows)
}

// lockChat reads the chat and locks its row until the transaction ends:
// whoever changes a chat's stream or agent holds it.
func lockChat(ctx context.Context, tx pgx.Tx, id string) (chat.Chat, error) {
	return chat.ScanChat(tx.QueryRow(ctx, `SELECT `+chat.ChatColumns+` FROM chats WHERE id = $1 FOR UPDATE`, id), pgx.ErrNoRows)
}

// updateChat stores what chat.Chat.Apply keeps: the state and the counters.
func updateChat(ctx context.Context, tx pgx.Tx, c chat.Chat) error {
	_, err := tx.Exec(ctx, `UPDATE chats SET state = $1, last_seq = $2, visitor_messages = $3, last_visitor_event = $4,
		ewt = $5, ewt_at = $6, case_id = $7 WHERE id = $8`,
		c.State, int64(c.LastSeq), c.VisitorMessages, toNanos(c.LastVisitorEvent), int64(c.EWT), toNanos(c.EWTAt), c.CaseID, c.ID)
	return err
}

// chatExists is for methods whose query finds nothing both for a chat that
// has nothing and for no chat at all.
func chatExists(ctx context.Context, q querier, id string) error {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM chats WHERE id = $1)`, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return chat.ErrNotFound
	}
	return nil
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
