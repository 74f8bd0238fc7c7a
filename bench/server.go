package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/protocol"
	"golang.org/x/sync/errgroup"
)

// Sizes and counts of the server suite.
const (
	latencyMessages = 2000
	// latencyChats spreads the visitor's messages over enough chats that
	// none goes past the per-chat limit (VisitorBurst 20): it is the
	// delivery that is measured, not the limiter.
	latencyChats    = 100
	window          = 64
	sustainFor      = 5 * time.Second
	parallelChats   = 50
	uploadBytes     = 20_000_000
	uploadRuns      = 3
	idleOpeners     = 32
	idleHold        = 35 * time.Second
	benchAgentParty = "agent-bench"
)

// serverSuite measures the parley program as a subprocess: one process for
// delivery, throughput and uploads, and a fresh one for the idle chats, so
// its memory holds nothing but them.
func serverSuite(ctx context.Context, cfg config) ([]row, error) {
	var rows []row
	p, err := startParley(ctx, cfg.parley, cfg.web, false)
	if err != nil {
		return nil, err
	}
	more, err := deliveryRows(ctx, p)
	rows = append(rows, more...)
	p.stop()
	if err != nil {
		return rows, err
	}

	p, err = startParley(ctx, cfg.parley, cfg.web, false)
	if err != nil {
		return rows, err
	}
	defer p.stop()
	more, err = idleChatRows(ctx, p, cfg.chats)
	return append(rows, more...), err
}

// deliveryRows measures one-way delivery, sustained events and uploads on p
// and their floors.
func deliveryRows(ctx context.Context, p *parley) ([]row, error) {
	var rows []row
	logf("server: one-way delivery, %d messages each way over %d chats", latencyMessages, latencyChats)
	chats, err := openChats(ctx, p, latencyChats, true)
	if err != nil {
		return nil, err
	}
	defer closeChats(chats)
	toAgent, err := oneWay(ctx, chats, latencyMessages, visitorToAgent, true)
	if err != nil {
		return nil, fmt.Errorf("visitor to agent: %w", err)
	}
	toVisitor, err := oneWay(ctx, chats, latencyMessages, agentToVisitor, true)
	if err != nil {
		return nil, fmt.Errorf("agent to visitor: %w", err)
	}
	logf("server: the bare coder/websocket relay")
	floorAB, floorBA, err := relayLatency(ctx, chats[0].visitor.chat.ChatID, relayBare)
	if err != nil {
		return nil, fmt.Errorf("the bare relay: %w", err)
	}
	logf("server: the relay that syncs each frame to a file first")
	durableAB, durableBA, err := relayLatency(ctx, chats[0].visitor.chat.ChatID, relayDurable)
	if err != nil {
		return nil, fmt.Errorf("the durable relay: %w", err)
	}
	for _, d := range []struct {
		name                  string
		parley, bare, durable []time.Duration
	}{
		{"visitor to agent", toAgent, floorAB, durableAB},
		{"agent to visitor", toVisitor, floorBA, durableBA},
	} {
		for _, q := range []float64{0.50, 0.99} {
			figure := fmt.Sprintf("delivery %s, p%02.0f (%d messages)", d.name, q*100, latencyMessages)
			value := ms(quantile(d.parley, q))
			rows = append(rows,
				row{
					Figure: figure, Value: value, Unit: "ms",
					Ref: new(ms(quantile(d.bare, q))), RefLabel: "bare coder/websocket relay, a process of its own",
				},
				row{
					Figure: figure, Value: value, Unit: "ms",
					Ref: new(ms(quantile(d.durable, q))), RefLabel: "the same relay, appending each frame to a file and fsyncing it before it forwards it",
				})
		}
	}

	noRef := "none: every event is stored first (SQLite WAL, synchronous=FULL) and fsynced"
	logf("server: events per second, one chat, agent socket, window %d", window)
	rate, _, err := sustained(ctx, p, 1, true)
	if err != nil {
		return rows, err
	}
	rows = append(rows, row{Figure: fmt.Sprintf("events/s one chat sustains (agent socket, %d frames in flight)", window), Value: rate, Unit: "/s", RefLabel: noRef})

	logf("server: events per second, %d chats in parallel", parallelChats)
	rate, _, err = sustained(ctx, p, parallelChats, true)
	if err != nil {
		return rows, err
	}
	rows = append(rows, row{Figure: fmt.Sprintf("events/s all chats sustain (%d chats, agent sockets, %d in flight each)", parallelChats, window), Value: rate, Unit: "/s", RefLabel: noRef})

	logf("server: events per second, one visitor")
	rate, refused, err := sustained(ctx, p, 1, false)
	if err != nil {
		return rows, err
	}
	rows = append(rows,
		row{
			Figure: fmt.Sprintf("events/s one visitor gets stored (visitor socket, %d frames in flight)", window),
			Value:  rate, Unit: "/s",
			Ref: new(5.0), RefLabel: "the per-chat visitor limit (5/s, burst 20)",
		},
		row{Figure: fmt.Sprintf("the same: frames refused with 7002 in those %s", sustainFor), Value: float64(refused)},
	)

	logf("server: uploads of %d MB", uploadBytes/1_000_000)
	up, bare, err := uploadThroughput(ctx, p)
	if err != nil {
		return rows, err
	}
	rows = append(rows, row{
		Figure: fmt.Sprintf("upload of a %d MB file, POST files (median of %d)", uploadBytes/1_000_000, uploadRuns),
		Value:  up, Unit: "MB/s",
		Ref: new(bare), RefLabel: "bare net/http upload into io.Discard, same body",
	})
	return rows, nil
}

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
// taken, an agent who took it and follows it on the agent socket.
func openChats(ctx context.Context, p *parley, n int, taken bool) ([]*chatPair, error) {
	chats := make([]*chatPair, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range chats {
		g.Go(func() error {
			c, err := openChat(gctx, p, taken)
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

func openChat(ctx context.Context, p *parley, taken bool) (*chatPair, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	creds := newVisitor()
	chat, err := p.requestChat(ctx, creds)
	if err != nil {
		return nil, err
	}
	conn, err := p.visitorSocket(ctx, chat)
	if err != nil {
		return nil, fmt.Errorf("the visitor socket: %w", err)
	}
	c := &chatPair{visitor: &visitorConn{creds: creds, chat: chat, peer: newPeer(conn)}}
	if !taken {
		return c, nil
	}
	if err := p.take(ctx, chat.ChatID, benchAgentParty); err != nil {
		c.close()
		return nil, err
	}
	conn, err = p.agentSocket(ctx, chat.ChatID, benchAgentParty)
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

// oneWay sends n messages one at a time, round robin over the chats, and
// measures each from the write on one socket to its arrival on the other.
// When the server answers frames, the answer (ref) is awaited too, so no
// message overlaps the next.
func oneWay(ctx context.Context, chats []*chatPair, n int, dir direction, answered bool) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, n)
	for i := range n {
		text := fmt.Sprintf("bench message %d", i)
		from, to, ref, frame, err := dir(chats[i%len(chats)], i, text)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		if err := from.conn.Write(ctx, websocket.MessageText, frame); err != nil {
			return nil, err
		}
		got, err := to.next(ctx, carries(text))
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		lat = append(lat, got.at.Sub(start))
		if !answered {
			continue
		}
		answer, err := from.next(ctx, answers(ref))
		if err != nil {
			return nil, fmt.Errorf("the answer to message %d: %w", i, err)
		}
		if answer.env.Error != nil {
			return nil, fmt.Errorf("message %d refused: %w", i, answer.env.Error)
		}
	}
	return lat, nil
}

// relay is the floor of delivery: a coder/websocket server that forwards
// every frame of side a to side b and back, with nothing in between. With a
// log it is the floor of a server that stores before it delivers: each frame
// is appended to the log and synced, one at a time, before it goes on.
type relay struct {
	mu    sync.Mutex
	sides map[string]*websocket.Conn
	both  chan struct{}
	log   *os.File
}

func (rl *relay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	side := r.URL.Query().Get("side")
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	rl.mu.Lock()
	rl.sides[side] = conn
	if len(rl.sides) == 2 {
		close(rl.both)
	}
	rl.mu.Unlock()
	<-rl.both
	rl.mu.Lock()
	other := rl.sides[map[string]string{"a": "b", "b": "a"}[side]]
	rl.mu.Unlock()
	ctx := context.Background()
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		if err := rl.store(data); err != nil {
			return
		}
		if err := other.Write(ctx, typ, data); err != nil {
			return
		}
	}
}

func (rl *relay) store(frame []byte) error {
	if rl.log == nil {
		return nil
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if _, err := rl.log.Write(append(frame, '\n')); err != nil {
		return err
	}
	return rl.log.Sync()
}

// relayEnv, when set to relayBare or relayDurable, makes the bench program
// serve that relay and nothing else, so the floor runs in a process of its
// own as Parley does.
const (
	relayEnv     = "PARLEY_BENCH_RELAY"
	relayBare    = "bare"
	relayDurable = "durable"
)

// serveRelay serves the relay on a loopback port that it prints, until its
// standard input closes: the benchmark closes it, or ends. A durable relay
// keeps its log in a temporary file beside Parley's own temporary data.
func serveRelay(durable bool) error {
	rl := &relay{sides: map[string]*websocket.Conn{}, both: make(chan struct{})}
	if durable {
		log, err := os.CreateTemp("", "parley-bench-relay-*.log")
		if err != nil {
			return err
		}
		defer os.Remove(log.Name())
		defer log.Close()
		rl.log = log
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("relay: ws://" + ln.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		ln.Close()
	}()
	err = http.Serve(ln, rl)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// startRelay runs the bench program as the relay of the mode and returns
// its address.
func startRelay(ctx context.Context, mode string) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	addr := make(chan string, 1)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), relayEnv+"="+mode)
	cmd.Stdout = &lineWriter{line: func(line string) {
		if rest, ok := strings.CutPrefix(line, "relay: "); ok {
			addr <- rest
		}
	}}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	stop := func() {
		stdin.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	select {
	case u := <-addr:
		return u, stop, nil
	case <-done:
		err = errors.New("the relay exited at once")
	case <-ctx.Done():
		err = ctx.Err()
	case <-time.After(10 * time.Second):
		err = errors.New("the relay did not start within 10 s")
	}
	stop()
	return "", nil, err
}

// relayLatency measures the relay of the mode with the frames Parley's
// visitor and agent send, latencyMessages each way.
func relayLatency(ctx context.Context, chatID, mode string) (ab, ba []time.Duration, err error) {
	url, stop, err := startRelay(ctx, mode)
	if err != nil {
		return nil, nil, err
	}
	defer stop()
	dial := func(side string) (*peer, error) {
		conn, _, err := websocket.Dial(ctx, url+"/?side="+side, nil)
		if err != nil {
			return nil, err
		}
		conn.SetReadLimit(1 << 20)
		return newPeer(conn), nil
	}
	a, err := dial("a")
	if err != nil {
		return nil, nil, err
	}
	defer a.close()
	b, err := dial("b")
	if err != nil {
		return nil, nil, err
	}
	defer b.close()
	pair := []*chatPair{{visitor: &visitorConn{chat: protocol.ChatSession{ChatID: chatID}, peer: a}, agent: b}}
	// The relay answers no ref: the frames carry one all the same, so
	// they are the bytes Parley gets.
	if ab, err = oneWay(ctx, pair, latencyMessages, visitorToAgent, false); err != nil {
		return nil, nil, err
	}
	ba, err = oneWay(ctx, pair, latencyMessages, agentToVisitor, false)
	return ab, ba, err
}

// sustained opens n chats, taken by an agent who sends if byAgent, and
// measures what they sustain.
func sustained(ctx context.Context, p *parley, n int, byAgent bool) (perSecond float64, refused int, err error) {
	chats, err := openChats(ctx, p, n, byAgent)
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

// uploadThroughput uploads the same multipart body to Parley, as the
// visitor of a chat, and to a bare handler that reads it into io.Discard;
// each figure is the median of uploadRuns, in MB/s.
func uploadThroughput(ctx context.Context, p *parley) (parleyMBs, bareMBs float64, err error) {
	chats, err := openChats(ctx, p, 1, false)
	if err != nil {
		return 0, 0, err
	}
	defer closeChats(chats)
	chats[0].visitor.drain()
	content := bytes.Repeat([]byte("parley bench upload; "), uploadBytes/21+1)[:uploadBytes]
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", "bench.txt")
	if err == nil {
		_, err = part.Write(content)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return 0, 0, err
	}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	}))
	defer bare.Close()
	measure := func(url, auth string) (float64, error) {
		var rates []float64
		for range uploadRuns {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body.Bytes()))
			if err != nil {
				cancel()
				return 0, err
			}
			req.Header.Set("Content-Type", mw.FormDataContentType())
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("POST %s: %s", url, resp.Status)
				}
			}
			elapsed := time.Since(start)
			cancel()
			if err != nil {
				return 0, err
			}
			rates = append(rates, float64(uploadBytes)/1e6/elapsed.Seconds())
		}
		return median(rates), nil
	}
	if parleyMBs, err = measure(p.url+protocol.PathFiles, chats[0].visitor.creds.Authorization()); err != nil {
		return 0, 0, err
	}
	bareMBs, err = measure(bare.URL, "")
	return parleyMBs, bareMBs, err
}

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

func quantile(d []time.Duration, q float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
