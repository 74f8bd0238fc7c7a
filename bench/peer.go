package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/protocol"
	"golang.org/x/sync/errgroup"
)

// chatPair is a chat with its visitor's socket and, when taken, its
// agent's.
type chatPair struct {
	visitor *visitorConn
	agent   *peer
}

type visitorConn struct {
	creds protocol.Credentials
	chat  protocol.ChatSession
	*peer
	// sent numbers the visitor's messages for their msg_id.
	sent int
}

// openChats starts n chats, each with its visitor's socket open and, if
// taken, an agent who took it and follows it on the agent socket. With one
// server both sides are on it; with two (processes sharing a database),
// chat i's visitor is on servers[i%2] and its agent on the other.
func openChats(ctx context.Context, n int, taken bool, servers ...*parley) ([]*chatPair, error) {
	chats := make([]*chatPair, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range chats {
		g.Go(func() error {
			v, a := servers[i%len(servers)], servers[(i+1)%len(servers)]
			c, err := openChat(gctx, v, a, taken)
			chats[i] = c
			return err
		})
	}
	if err := g.Wait(); err != nil {
		closeChats(chats)
		return nil, err
	}
	return chats, nil
}

// openChat starts a chat with its visitor on server v and, if taken, its
// agent on server a.
func openChat(ctx context.Context, v, a *parley, taken bool) (*chatPair, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	creds := newVisitor()
	chat, err := v.requestChat(ctx, creds)
	if err != nil {
		return nil, err
	}
	conn, err := v.visitorSocket(ctx, chat)
	if err != nil {
		return nil, fmt.Errorf("the visitor socket: %w", err)
	}
	c := &chatPair{visitor: &visitorConn{creds: creds, chat: chat, peer: newPeer(conn)}}
	if !taken {
		return c, nil
	}
	if err := a.agent.Take(ctx, chat.ChatID); err != nil {
		c.close()
		return nil, err
	}
	conn, err = a.agent.Socket(ctx, chat.ChatID)
	if err != nil {
		c.close()
		return nil, fmt.Errorf("the agent socket: %w", err)
	}
	c.agent = newPeer(conn)
	return c, nil
}

func (c *chatPair) close() {
	c.visitor.close()
	if c.agent != nil {
		c.agent.close()
	}
}

func closeChats(chats []*chatPair) {
	for _, c := range chats {
		if c != nil {
			c.close()
		}
	}
}

// peer is one end of a socket in the bench process. A goroutine reads it
// and stamps each frame with the moment it arrived, before decoding it, so
// sender and receiver read one clock.
type peer struct {
	conn   *websocket.Conn
	frames chan arrival
	stop   context.CancelFunc
}

type arrival struct {
	at  time.Time
	env protocol.Envelope
}

func newPeer(conn *websocket.Conn) *peer {
	ctx, cancel := context.WithCancel(context.Background())
	p := &peer{conn: conn, frames: make(chan arrival, 4096), stop: cancel}
	go func() {
		defer close(p.frames)
		for {
			_, data, err := conn.Read(ctx)
			at := time.Now()
			if err != nil {
				return
			}
			env, err := protocol.DecodeEnvelope(data)
			if err != nil {
				return
			}
			select {
			case p.frames <- arrival{at, env}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return p
}

func (p *peer) close() {
	p.stop()
	p.conn.CloseNow()
}

// drain discards what the peer receives from now on, so the server never
// finds it too slow.
func (p *peer) drain() {
	go func() {
		for range p.frames {
		}
	}()
}

// next waits for the first frame that match accepts.
func (p *peer) next(ctx context.Context, match func(protocol.Envelope) bool) (arrival, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		select {
		case a, ok := <-p.frames:
			if !ok {
				return arrival{}, errors.New("the socket closed")
			}
			if match(a.env) {
				return a, nil
			}
		case <-ctx.Done():
			return arrival{}, fmt.Errorf("waiting for a frame: %w", ctx.Err())
		}
	}
}

func carries(text string) func(protocol.Envelope) bool {
	return func(env protocol.Envelope) bool {
		for _, e := range env.Events {
			if m, ok := e.(*protocol.Message); ok && m.Msg == text {
				return true
			}
		}
		return false
	}
}

func answers(ref string) func(protocol.Envelope) bool {
	return func(env protocol.Envelope) bool { return env.Ref == ref }
}

// direction picks, for a chat, who sends, who receives and the frame.
type direction func(c *chatPair, i int, text string) (from, to *peer, ref string, frame []byte, err error)

func visitorToAgent(c *chatPair, i int, text string) (*peer, *peer, string, []byte, error) {
	c.visitor.sent++
	ref := fmt.Sprint("v", i)
	frame, err := protocol.Envelope{Ref: ref, Events: []protocol.Event{
		&protocol.Message{MsgID: protocol.MessageID(c.visitor.chat.ChatID, c.visitor.sent), Msg: text},
	}}.MarshalJSON()
	return c.visitor.peer, c.agent, ref, frame, err
}

func agentToVisitor(c *chatPair, i int, text string) (*peer, *peer, string, []byte, error) {
	ref := fmt.Sprint("a", i)
	frame, err := agentFrame(ref, text)
	return c.agent, c.visitor.peer, ref, frame, err
}

func agentFrame(ref, text string) ([]byte, error) {
	return protocol.Envelope{Ref: ref, Events: []protocol.Event{
		&protocol.Message{Msg: text, Meta: protocol.Meta{PartyID: benchAgentParty}},
	}}.MarshalJSON()
}
