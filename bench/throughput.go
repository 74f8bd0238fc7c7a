package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/protocol"
)

// sustained opens n chats on the servers (see openChats), taken by an agent
// who sends if byAgent, and measures what they sustain.
func sustained(ctx context.Context, n int, byAgent bool, servers ...*parley) (perSecond float64, refused int, err error) {
	chats, err := openChats(ctx, n, byAgent, servers...)
	if err != nil {
		return 0, 0, err
	}
	defer closeChats(chats)
	return sustain(ctx, chats, byAgent)
}

// sustain keeps up to window frames unanswered on every chat for
// sustainFor, sent by the agent or by the visitor, and returns the frames
// per second the server took (answered by ref without an error) and how
// many it refused. Then it lets the answers in flight arrive, so no socket
// closes with a frame half taken.
func sustain(ctx context.Context, chats []*chatPair, byAgent bool) (perSecond float64, refused int, err error) {
	stopWriting, stopReading := make(chan struct{}), make(chan struct{})
	var took, refusedN atomic.Int64
	var writers, readers sync.WaitGroup
	deadline := time.Now().Add(sustainFor)
	errs := make(chan error, 2*len(chats))
	slots := make([]chan struct{}, len(chats))
	for k, c := range chats {
		sender := c.visitor.peer
		if byAgent {
			sender = c.agent
			c.visitor.drain()
		}
		slots[k] = make(chan struct{}, window)
		writers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stopWriting:
					return
				default:
				}
				select {
				case slots[k] <- struct{}{}:
				case <-stopWriting:
					return
				}
				var frame []byte
				var err error
				text := fmt.Sprintf("sustained %d", i)
				if byAgent {
					frame, err = agentFrame(fmt.Sprint("s", i), text)
				} else {
					c.visitor.sent++
					frame, err = protocol.Envelope{Ref: fmt.Sprint("s", i), Events: []protocol.Event{
						&protocol.Message{MsgID: protocol.MessageID(c.visitor.chat.ChatID, c.visitor.sent), Msg: text},
					}}.MarshalJSON()
				}
				if err == nil {
					// Not a context that ends with the run: coder/websocket
					// closes a socket whose write is cancelled.
					err = sender.conn.Write(ctx, websocket.MessageText, frame)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
		readers.Go(func() {
			for {
				select {
				case a, ok := <-sender.frames:
					if !ok {
						errs <- errors.New("a socket closed while sending")
						return
					}
					if a.env.Ref == "" {
						continue
					}
					<-slots[k]
					if a.at.After(deadline) {
						continue
					}
					if a.env.Error != nil {
						refusedN.Add(1)
					} else {
						took.Add(1)
					}
				case <-stopReading:
					return
				}
			}
		})
	}
	select {
	case <-time.After(time.Until(deadline)):
	case err = <-errs:
	case <-ctx.Done():
		err = ctx.Err()
	}
	close(stopWriting)
	writers.Wait()
	settle := time.Now().Add(10 * time.Second)
	for _, s := range slots {
		for len(s) > 0 && time.Now().Before(settle) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	close(stopReading)
	readers.Wait()
	return float64(took.Load()) / sustainFor.Seconds(), int(refusedN.Load()), err
}
