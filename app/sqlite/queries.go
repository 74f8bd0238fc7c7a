package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// query is one of the package's SQL statements. Open prepares every query
// on both pools, and each connection keeps its own preparation after the
// first use: SQLite took as long to parse and plan the four statements
// Append runs for each event as to run them.
type query struct {
	text  string
	index int
}

// queries are the texts of every declared query, in declaration order.
var queries []string

func declare(text string) query {
	queries = append(queries, text)
	return query{text: text, index: len(queries) - 1}
}

// prepared holds one pool's statements, indexed as queries.
type prepared []*sql.Stmt

// prepare prepares every declared query on db. It must run while nothing
// holds db's connections: the writer has only one.
func prepare(ctx context.Context, db *sql.DB) (_ prepared, err error) {
	stmts := make(prepared, 0, len(queries))
	defer func() {
		if err != nil {
			stmts.close()
		}
	}()
	for _, text := range queries {
		stmt, err := db.PrepareContext(ctx, text)
		if err != nil {
			return nil, fmt.Errorf("preparing %q: %w", text, err)
		}
		stmts = append(stmts, stmt)
	}
	return stmts, nil
}

func (p prepared) close() {
	for _, stmt := range p {
		stmt.Close()
	}
}

// txn is a transaction that runs the pool's prepared statements.
type txn struct {
	*sql.Tx
	stmts prepared
}

func (t txn) exec(ctx context.Context, q query, args ...any) (sql.Result, error) {
	return t.StmtContext(ctx, t.stmts[q.index]).ExecContext(ctx, args...)
}

func (t txn) queryRow(ctx context.Context, q query, args ...any) *sql.Row {
	return t.StmtContext(ctx, t.stmts[q.index]).QueryRowContext(ctx, args...)
}

func (t txn) query(ctx context.Context, q query, args ...any) (*sql.Rows, error) {
	return t.StmtContext(ctx, t.stmts[q.index]).QueryContext(ctx, args...)
}
