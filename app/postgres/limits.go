package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parleychat/parley/app/chat"
)

// Limiter returns the chat.Limiter that keeps the visitors' rate limits in
// the database, so that every process sharing it grants a visitor the same
// budget.
func (s *Store) Limiter() chat.Limiter { return limiter{s} }

// Leases returns the chat.Leases kept in the database, so that one process
// at a time holds a lease, whichever.
func (s *Store) Leases() chat.Leases { return leases{s} }

type limiter struct{ s *Store }

// Allow implements chat.Limiter: the chat's buckets are read and written
// back under their row locks, in one transaction, so that two processes
// taking from one bucket take turns.
func (l limiter) Allow(ctx context.Context, chatID string, need [chat.Budgets]int, limits [chat.Budgets]chat.Limit, now time.Time) (short chat.Budget, ok bool, err error) {
	defer wrap(&err, "checking the rate limits of chat %s", chatID)
	err = pgx.BeginFunc(ctx, l.s.pool, func(tx pgx.Tx) error {
		short, ok = 0, true
		// A bucket nobody took from yet is full.
		for b, n := range need {
			if n == 0 {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO limits (chat_id, budget, tokens, at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (chat_id, budget) DO NOTHING`, chatID, b, float64(limits[b].Burst), now.UnixNano()); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT budget, tokens, at FROM limits WHERE chat_id = $1 ORDER BY budget FOR UPDATE`, chatID)
		if err != nil {
			return err
		}
		var tokens [chat.Budgets]float64
		for rows.Next() {
			var (
				b     int
				have  float64
				taken int64
			)
			if err := rows.Scan(&b, &have, &taken); err != nil {
				rows.Close()
				return err
			}
			if b < 0 || b >= int(chat.Budgets) {
				continue
			}
			elapsed := max(0, now.Sub(time.Unix(0, taken)).Seconds())
			tokens[b] = min(float64(limits[b].Burst), have+elapsed*limits[b].Rate)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for b, n := range need {
			if n > 0 && tokens[b] < float64(n) {
				short, ok = chat.Budget(b), false
				return nil
			}
		}
		for b, n := range need {
			if n == 0 {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE limits SET tokens = $1, at = $2 WHERE chat_id = $3 AND budget = $4`,
				tokens[b]-float64(n), now.UnixNano(), chatID, b); err != nil {
				return err
			}
		}
		return nil
	})
	return short, ok, err
}

type leases struct{ s *Store }

// Lease implements chat.Leases: a lease whose time ran out is taken over.
func (l leases) Lease(ctx context.Context, name string, d time.Duration) (release func(), ok bool, err error) {
	defer wrap(&err, "leasing %q", name)
	token := rand.Text()
	var holder string
	err = l.s.pool.QueryRow(ctx, `INSERT INTO leases (name, token, until) VALUES ($1, $2, now() + make_interval(secs => $3))
		ON CONFLICT (name) DO UPDATE SET token = excluded.token, until = excluded.until WHERE leases.until < now()
		RETURNING token`, name, token, d.Seconds()).Scan(&holder)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return func() {
		// The request that held it may be over: give it back regardless.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = l.s.pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND token = $2`, name, token)
	}, true, nil
}
