package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// idleChatRows opens n chats, each a Request Chat with its own clientId and
// a visitor socket that has received its first frame, holds them past the
// server's ping, and reads the server's resident memory before and after.
func idleChatRows(ctx context.Context, p *parley, n int) ([]row, error) {
	time.Sleep(time.Second) // let the fresh process settle before reading its memory
	before, err := p.rss()
	if err != nil {
		return nil, err
	}
	logf("server: opening %d idle chats (%d at a time)", n, idleOpeners)
	var (
		live, failed atomic.Int64
		mu           sync.Mutex
		conns        []*websocket.Conn
		firstErr     error
	)
	defer func() {
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range idleOpeners {
		wg.Go(func() {
			for range jobs {
				conn, err := openIdleChat(ctx, p)
				mu.Lock()
				if err != nil {
					failed.Add(1)
					if firstErr == nil {
						firstErr = err
					}
				} else {
					conns = append(conns, conn)
				}
				mu.Unlock()
				if err == nil {
					live.Add(1)
					go func() {
						defer live.Add(-1)
						// Reading answers the server's pings; an idle
						// chat is still a connected one.
						for {
							if _, _, err := conn.Read(context.Background()); err != nil {
								return
							}
						}
					}()
				}
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		if i > 0 && i%1000 == 0 {
			logf("server: %d chats open, %d failed, %.0f s", live.Load(), failed.Load(), time.Since(start).Seconds())
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	opened := time.Since(start)
	if firstErr != nil {
		logf("server: %d of %d chats failed to open; the first: %v", failed.Load(), n, firstErr)
	}
	logf("server: %d chats opened in %.0f s; holding them %s", live.Load(), opened.Seconds(), idleHold)
	select {
	case <-time.After(idleHold):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	held := live.Load()
	after, err := p.rss()
	if err != nil {
		return nil, err
	}
	rows := []row{
		{Figure: fmt.Sprintf("idle chats held %s (Request Chat + visitor socket each; queued, the default scenario counting down)", idleHold), Value: float64(held), Unit: "chats", Ref: new(float64(n)), RefLabel: "chats asked for"},
		{Figure: "idle chats: time to open them all", Value: opened.Seconds(), Unit: "s"},
		{Figure: "server resident memory (VmRSS) before the chats", Value: before, Unit: "B"},
		{Figure: "server resident memory (VmRSS) holding the chats", Value: after, Unit: "B"},
	}
	if held > 0 {
		rows = append(rows, row{Figure: "server resident memory per idle chat", Value: (after - before) / float64(held), Unit: "B"})
	}
	return rows, nil
}

func openIdleChat(ctx context.Context, p *parley) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	chat, err := p.requestChat(ctx, newVisitor())
	if err != nil {
		return nil, err
	}
	conn, err := p.visitorSocket(ctx, chat)
	if err != nil {
		return nil, err
	}
	if _, _, err := conn.Read(ctx); err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("the first frame: %w", err)
	}
	return conn, nil
}
