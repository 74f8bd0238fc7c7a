package sqlite

import (
	"reflect"
	"strings"
	"testing"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// schema lists the applied migrations and every table and index.
func schema(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.writer.QueryContext(t.Context(), `SELECT 'migration ' || name FROM migrations
		UNION ALL SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_schema
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestMigrateTwiceDoesNothing(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := chat.Chat{ID: "c1", AppID: "app", ClientID: "client", State: protocol.StateQueued}
	if _, _, err := s.OpenChat(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	before := schema(t, s)
	if err := s.migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if after := schema(t, s); !reflect.DeepEqual(after, before) {
		t.Errorf("after migrating again:\n%q\nbefore:\n%q", after, before)
	}
	if _, err := s.Chat(t.Context(), c.ID); err != nil {
		t.Errorf("the chat did not survive migrating again: %v", err)
	}
}

// TestSchemaRefusesASecondOpenChat checks that the guarantee is in the
// schema itself, for writers that skip OpenChat's transaction.
func TestSchemaRefusesASecondOpenChat(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	insert := func(id string, state protocol.ChatState) error {
		_, err := s.writer.ExecContext(t.Context(), `INSERT INTO chats (id, app_id, client_id, token, epoch, state, request)
			VALUES (?, 'app', 'client', '', '', ?, '{}')`, id, state)
		return err
	}
	for _, state := range []protocol.ChatState{protocol.StateCompleted, protocol.StateFailed, protocol.StateQueued} {
		if err := insert("c-"+string(state), state); err != nil {
			t.Fatalf("inserting a %s chat: %v", state, err)
		}
	}
	if err := insert("c2", protocol.StateConnected); !isUniqueViolation(err) {
		t.Errorf("inserting a second open chat = %v, want a unique violation", err)
	}
	if err := insert("c-queued", protocol.StateCompleted); err == nil || isUniqueViolation(err) {
		t.Errorf("inserting a duplicate id = %v, want a primary key violation", err)
	}
}

// TestQueriesUseTheIndexes guards the coupling between notOver and the
// partial indexes: a query that does not match an index's WHERE clause
// word for word scans the whole table.
func TestQueriesUseTheIndexes(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for query, index := range map[string]string{
		`SELECT ` + chat.ChatColumns + ` FROM chats WHERE app_id = 'a' AND client_id = 'c' AND ` + notOver: "chats_open_client",
		`SELECT ` + chat.ChatColumns + ` FROM chats WHERE ` + notOver + ` ORDER BY created, rowid`:         "chats_open_created",
	} {
		var plan string
		rows, err := s.writer.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+query)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan += detail + "\n"
		}
		rows.Close()
		if !strings.Contains(plan, index) || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s\nplan:\n%s\nwant a search of %s and no sort", query, plan, index)
		}
	}
}
