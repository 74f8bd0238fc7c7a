package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// Signals returns the chat.Signals kept in the database, so that a call
// signal held by one process reaches its party through any other.
func (s *Store) Signals() chat.Signals { return signals{s} }

type signals struct{ s *Store }

// Hold implements chat.Signals. The chat's signal row is locked until the
// commit, so the holds of one chat take turns and commit in the order of
// their numbers: a reader never sees a number before one below it. The
// commit announces the signal to the other processes, which read it from
// the table. The time is the database's: now is not used.
func (g signals) Hold(ctx context.Context, chatID string, sig *protocol.Signaling, _ time.Time, d time.Duration) (err error) {
	defer wrap(&err, "holding a call signal of chat %s", chatID)
	return pgx.BeginFunc(ctx, g.s.pool, func(tx pgx.Tx) error {
		var seq int64
		// A chat's first number is the time in microseconds, as
		// chat.Signals' in memory: below 2^53, which JavaScript reads.
		if err := tx.QueryRow(ctx, `INSERT INTO signal_chats (chat_id, last)
			VALUES ($1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
			ON CONFLICT (chat_id) DO UPDATE SET last = signal_chats.last + 1 RETURNING last`, chatID).Scan(&seq); err != nil {
			return err
		}
		from, to := sig.PartyID, sig.DestinationPartyID
		rows, err := tx.Query(ctx, `SELECT seq, sender, type FROM signals
			WHERE chat_id = $1 AND (sender = $2 AND destination = $3 OR sender = $3 AND destination = $2)`, chatID, from, to)
		if err != nil {
			return err
		}
		var superseded []int64
		for rows.Next() {
			var (
				held         int64
				sender, kind string
			)
			if err := rows.Scan(&held, &sender, &kind); err != nil {
				rows.Close()
				return err
			}
			if protocol.SignalSupersedes(sig.Data.Type, kind, sender == from) {
				superseded = append(superseded, held)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM signals WHERE chat_id = $1 AND seq = ANY($2)`, chatID, superseded); err != nil {
			return err
		}
		// What ran out, in any chat, goes a little at a time, never
		// waiting for another process doing the same.
		if _, err := tx.Exec(ctx, `DELETE FROM signals WHERE ctid IN
			(SELECT ctid FROM signals WHERE expires < now() LIMIT 100 FOR UPDATE SKIP LOCKED)`); err != nil {
			return err
		}
		sig.SignalSeq = uint64(seq)
		body, err := protocol.MarshalEvent(sig)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO signals (chat_id, seq, sender, destination, type, body, expires)
			VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))`,
			chatID, seq, from, to, sig.Data.Type, string(body), d.Seconds()); err != nil {
			return err
		}
		return g.s.announce(ctx, tx, announcement{Kind: kindSignaled, Chat: chatID, Party: to})
	})
}

// Held implements chat.Signals, by the database's clock: now is not used.
func (g signals) Held(ctx context.Context, chatID, party string, after uint64, _ time.Time) (_ []*protocol.Signaling, err error) {
	defer wrap(&err, "reading the call signals of chat %s", chatID)
	rows, err := g.s.pool.Query(ctx, `SELECT body FROM signals
		WHERE chat_id = $1 AND destination = $2 AND seq > $3 AND expires > now() ORDER BY seq`,
		chatID, party, int64(min(after, math.MaxInt64)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var held []*protocol.Signaling
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		e, err := protocol.UnmarshalEvent([]byte(body))
		if err != nil {
			return nil, err
		}
		sig, ok := e.(*protocol.Signaling)
		if !ok {
			return nil, fmt.Errorf("a held signal reads as %s", e.EventType())
		}
		held = append(held, sig)
	}
	return held, rows.Err()
}

// PolledSignal implements chat.Signals.
func (g signals) PolledSignal(ctx context.Context, chatID string) (_ uint64, err error) {
	defer wrap(&err, "reading the signal cursor of chat %s", chatID)
	var polled int64
	err = g.s.pool.QueryRow(ctx, `SELECT polled FROM signal_chats WHERE chat_id = $1`, chatID).Scan(&polled)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return uint64(polled), err
}

// SetPolledSignal implements chat.Signals. A chat that never held a signal
// has nothing to keep.
func (g signals) SetPolledSignal(ctx context.Context, chatID string, seq uint64) (err error) {
	defer wrap(&err, "moving the signal cursor of chat %s", chatID)
	_, err = g.s.pool.Exec(ctx, `UPDATE signal_chats SET polled = $2 WHERE chat_id = $1`, chatID, int64(min(seq, math.MaxInt64)))
	return err
}
