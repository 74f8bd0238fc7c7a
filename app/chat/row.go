package chat

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/parleychat/parley/protocol"
)

// ChatColumns are the columns of the chats table that ScanChat reads, in
// its order, for the SQL stores (app/sqlite, app/postgres), whose tables
// share them: the request and the notification subscription are JSON
// text, the times Unix nanoseconds or NULL.
const ChatColumns = `id, app_id, client_id, token, epoch, state, request, created,
	agent, last_seq, visitor_messages, last_visitor_event, ewt, ewt_at, case_id, poll_cursor, notifications`

// ScanChat reads a chat from a row of ChatColumns. noRows is the driver's
// error for a query that found no row; it becomes ErrNotFound.
func ScanChat(row interface{ Scan(...any) error }, noRows error) (Chat, error) {
	var (
		c                             Chat
		request, notifications        string
		lastSeq, ewt, pollCursor      int64
		created, visitorActive, ewtAt *int64
	)
	err := row.Scan(&c.ID, &c.AppID, &c.ClientID, &c.Token, &c.Epoch, &c.State, &request, &created,
		&c.Agent, &lastSeq, &c.VisitorMessages, &visitorActive, &ewt, &ewtAt, &c.CaseID, &pollCursor, &notifications)
	if errors.Is(err, noRows) {
		return Chat{}, ErrNotFound
	}
	if err != nil {
		return Chat{}, err
	}
	if err := json.Unmarshal([]byte(request), &c.Request); err != nil {
		return Chat{}, err
	}
	if err := json.Unmarshal([]byte(notifications), &c.Notifications); err != nil {
		return Chat{}, err
	}
	c.Created = FromNanos(created)
	c.LastSeq = uint64(lastSeq)
	c.LastVisitorEvent = FromNanos(visitorActive)
	c.EWT, c.EWTAt = protocol.Seconds(ewt), FromNanos(ewtAt)
	c.PollCursor = uint64(pollCursor)
	return c, nil
}

// FromNanos is a time a SQL store keeps as Unix nanoseconds, in UTC; NULL
// (nil) is the zero time.
func FromNanos(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(0, *n).UTC()
}
