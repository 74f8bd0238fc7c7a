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
// error for a query that found no row, which becomes ErrNotFound; nil for
// the rows of a query that lists, which never report it.
func ScanChat(row interface{ Scan(...any) error }, noRows error) (Chat, error) {
	var (
		c                             Chat
		request, notifications        string
		lastSeq, ewt, pollCursor      int64
		created, visitorActive, ewtAt *int64
	)
	err := row.Scan(&c.ID, &c.AppID, &c.ClientID, &c.Token, &c.Epoch, &c.State, &request, &created,
		&c.Agent, &lastSeq, &c.VisitorMessages, &visitorActive, &ewt, &ewtAt, &c.CaseID, &pollCursor, &notifications)
	if noRows != nil && errors.Is(err, noRows) {
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

// ScanChats reads every chat of rows of ChatColumns, in their order, and
// returns rows' error once they are done. The caller closes rows.
func ScanChats(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) ([]Chat, error) {
	var found []Chat
	for rows.Next() {
		c, err := ScanChat(rows, nil)
		if err != nil {
			return nil, err
		}
		found = append(found, c)
	}
	return found, rows.Err()
}

// FromNanos is a time a SQL store keeps as Unix nanoseconds, in UTC; NULL
// (nil) is the zero time.
func FromNanos(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(0, *n).UTC()
}
