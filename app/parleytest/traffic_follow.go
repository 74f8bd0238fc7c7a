package parleytest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/protocol"
)

// follow reads the chat on the agent socket until ctx ends, as the console
// does: from the position it has, again after every break, asking a socket
// that stays silent for an answer and giving it up when none comes.
func (c *talk) follow(ctx context.Context, base string) {
	var pos protocol.Position
	for ctx.Err() == nil {
		q := url.Values{"token": {AgentToken}, "party_id": {c.agent.PartyID}, "epoch": {pos.Epoch}, "after": {fmt.Sprint(pos.Seq)}}
		u := strings.Replace(base, "http", "ws", 1) + "/agent/api/chats/" + url.PathEscape(c.chatID) + "/socket?" + q.Encode()
		dialCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, _, err := websocket.Dial(dialCtx, u, nil)
		cancel()
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		conn.SetReadLimit(16 << 20)
		c.read(ctx, conn, &pos)
		conn.CloseNow()
	}
}

// silence is how long the agent's socket may stay silent before the agent
// asks it for an answer, and then before it gives it up: the widget's
// AnswerTimeout.
const silence = 5 * time.Second

// read takes the socket's frames until it breaks or goes silent.
func (c *talk) read(ctx context.Context, conn *websocket.Conn, pos *protocol.Position) {
	frames := make(chan []byte)
	go func() {
		defer close(frames)
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			select {
			case frames <- data:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() {
		conn.CloseNow()
		for range frames {
		}
	}()
	check := time.NewTicker(silence / 4)
	defer check.Stop()
	heard, asked := time.Now(), time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case data, ok := <-frames:
			if !ok {
				return
			}
			heard, asked = time.Now(), time.Time{}
			var env protocol.Envelope
			if err := json.Unmarshal(data, &env); err != nil {
				return
			}
			c.take(env, pos)
		case now := <-check.C:
			switch {
			case !asked.IsZero() && now.Sub(asked) >= silence:
				return
			case asked.IsZero() && now.Sub(heard) >= silence:
				asked = now
				go func() {
					writeCtx, cancel := context.WithTimeout(ctx, silence)
					defer cancel()
					_ = conn.Write(writeCtx, websocket.MessageText, []byte(`{"ref":"heartbeat"}`))
				}()
			}
		}
	}
}

// take notes a frame of the stream. The agent keeps every copy it is
// given: the server, not the agent, must see to it that there are none.
func (c *talk) take(env protocol.Envelope, pos *protocol.Position) {
	if env.Epoch != "" && env.Epoch != pos.Epoch {
		*pos = protocol.Position{Epoch: env.Epoch}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range env.Events {
		seq := e.EventMeta().Seq
		if seq != 0 && seq <= pos.Seq {
			c.seqs++
		}
		pos.Seq = max(pos.Seq, seq)
		if m, ok := e.(*protocol.Message); ok && m.PartyID == c.chatID {
			c.heard = append(c.heard, m.Msg)
		}
	}
}
