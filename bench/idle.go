package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// idleStep is what holding a number of idle chats cost a server process.
type idleStep struct {
	size, held int
	// open is the time to open them all, the holds between steps left
	// out; before and after the process's resident memory without them
	// and with them.
	open          time.Duration
	before, after float64
}

// perChat is the resident memory each chat held added.
func (s idleStep) perChat() float64 { return (s.after - s.before) / float64(s.held) }

// idleChats holds Parley's idle chats, each a Request Chat with its own
// clientId and a visitor socket that has received its first frame, and
// beside it the floor: the same client code holding as many bare
// coder/websocket connections to a server that does nothing but hold them.
// Both are fresh processes, so their memory holds nothing but the chats,
// measured at each of sizes.
func idleChats(ctx context.Context, cfg config) (parleySteps, floorSteps []idleStep, err error) {
	p, err := startParley(ctx, cfg.parley, cfg.web, false)
	if err != nil {
		return nil, nil, err
	}
	parleySteps, err = holdIdle(ctx, "Parley", p.cmd.Process.Pid, cfg.idle, cfg.hold, func(ctx context.Context) (*websocket.Conn, error) {
		chat, err := p.requestChat(ctx, newVisitor())
		if err != nil {
			return nil, err
		}
		return p.visitorSocket(ctx, chat)
	})
	p.stop()
	if err != nil {
		return nil, nil, err
	}
	h, err := startHelper(ctx, holder)
	if err != nil {
		return parleySteps, nil, err
	}
	defer h.stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: idleOpeners}}
	defer client.CloseIdleConnections()
	floorSteps, err = holdIdle(ctx, "the bare holder", h.pid, cfg.idle, cfg.hold, func(ctx context.Context) (*websocket.Conn, error) {
		conn, _, err := websocket.Dial(ctx, h.url, &websocket.DialOptions{HTTPClient: client})
		return conn, err
	})
	return parleySteps, floorSteps, err
}

// holdIdle opens connections with open, idleOpeners at a time, until sizes[0]
// are open, holds them for hold, past the server's ping, and reads the
// resident memory of the server process pid; then on to the next size,
// keeping what is open. A connection counts once its first frame arrived,
// and is read from then on, which answers the server's pings: an idle
// chat is still a connected one.
func holdIdle(ctx context.Context, who string, pid int, sizes []int, hold time.Duration, open func(context.Context) (*websocket.Conn, error)) ([]idleStep, error) {
	time.Sleep(time.Second) // let the fresh process settle before reading its memory
	before, err := rssOf(pid)
	if err != nil {
		return nil, err
	}
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
	openOne := func() {
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		conn, err := open(ctx)
		if err == nil {
			if _, _, err = conn.Read(ctx); err != nil {
				conn.CloseNow()
				err = fmt.Errorf("the first frame: %w", err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed.Add(1)
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		conns = append(conns, conn)
		live.Add(1)
		go func() {
			defer live.Add(-1)
			for {
				if _, _, err := conn.Read(context.Background()); err != nil {
					return
				}
			}
		}()
	}
	var steps []idleStep
	var opening time.Duration
	opened := 0
	for _, size := range sizes {
		logf("%s: opening idle chats up to %d (%d at a time)", who, size, idleOpeners)
		jobs := make(chan struct{})
		var wg sync.WaitGroup
		for range idleOpeners {
			wg.Go(func() {
				for range jobs {
					openOne()
				}
			})
		}
		start := time.Now()
		for i := opened; i < size && ctx.Err() == nil; i++ {
			if i > opened && i%1000 == 0 {
				logf("%s: %d chats open, %d failed, %.0f s", who, live.Load(), failed.Load(), time.Since(start).Seconds())
			}
			jobs <- struct{}{}
		}
		close(jobs)
		wg.Wait()
		opening += time.Since(start)
		opened = size
		if firstErr != nil {
			logf("%s: %d of %d chats failed to open; the first: %v", who, failed.Load(), size, firstErr)
		}
		logf("%s: %d chats open after %.0f s of opening; holding them %s", who, live.Load(), opening.Seconds(), hold)
		select {
		case <-time.After(hold):
		case <-ctx.Done():
			return steps, ctx.Err()
		}
		after, err := rssOf(pid)
		if err != nil {
			return steps, err
		}
		steps = append(steps, idleStep{size: size, held: int(live.Load()), open: opening, before: before, after: after})
	}
	return steps, nil
}

// holdSocket is the floor of an idle chat: it accepts a WebSocket, writes it one
// frame, as Parley writes the chat's state first, and then only reads,
// which is all a connection that waits costs.
func holdSocket(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx := r.Context()
	if err := conn.Write(ctx, websocket.MessageText, []byte(`{"events":[]}`)); err != nil {
		return
	}
	for {
		if _, _, err := conn.Read(ctx); err != nil {
			return
		}
	}
}

// idleRows are the main table's idle chats at the largest size, and the
// scaling table's memory and opening time at each, beside the floor's.
func idleRows(parleySteps, floorSteps []idleStep, hold time.Duration) []row {
	if len(parleySteps) == 0 {
		return nil
	}
	floorAt := map[int]idleStep{}
	for _, s := range floorSteps {
		if s.held > 0 {
			floorAt[s.size] = s
		}
	}
	last := parleySteps[len(parleySteps)-1]
	rows := []row{
		{Figure: fmt.Sprintf("idle chats held %s (Request Chat + visitor socket each; queued, the default scenario counting down)", hold), Value: float64(last.held), Unit: "chats", Ref: new(float64(last.size)), RefLabel: "chats asked for"},
		{Figure: "idle chats: time to open them all", Value: last.open.Seconds(), Unit: "s"},
		{Figure: "server resident memory (VmRSS) before the chats", Value: last.before, Unit: "B"},
		{Figure: "server resident memory (VmRSS) holding the chats", Value: last.after, Unit: "B"},
	}
	if last.held > 0 {
		r := row{Figure: "server resident memory per idle chat", Value: last.perChat(), Unit: "B"}
		if f, ok := floorAt[last.size]; ok {
			r.Ref, r.RefLabel = new(f.perChat()), fmt.Sprintf("a bare coder/websocket server holding %d sockets from the same client code, a process of its own", f.held)
		}
		rows = append(rows, r)
	}
	for _, s := range parleySteps {
		if s.held < s.size {
			logf("server: %d of %d idle chats held; the scaling table counts per chat held", s.held, s.size)
		}
		if s.held == 0 {
			continue
		}
		// Per chat held, counted at the size asked for, so that runs of
		// -repeat line up.
		n := float64(s.size)
		mem := row{Series: "idle chats: server resident memory", Size: n, SizeUnit: "chats", Value: s.perChat() * n, Unit: "B"}
		open := row{Series: "idle chats: time to open them", Size: n, SizeUnit: "chats", Value: s.open.Seconds() * n / float64(s.held), Unit: "s"}
		if f, ok := floorAt[s.size]; ok {
			mem.Ref, mem.RefLabel = new(f.perChat()*n), "bare coder/websocket holder"
			open.Ref, open.RefLabel = new(f.open.Seconds()*n/float64(f.held)), "bare coder/websocket holder"
		}
		rows = append(rows, mem, open)
	}
	return rows
}
