package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// Sizes of the flood suite.
const (
	// floodOthers chats send a message every floodPace each, within the
	// visitor's limit (5/s), and wait for its acknowledgment.
	floodOthers = 20
	floodPace   = 250 * time.Millisecond
	// floodFor is how long the others are measured without a flood, and
	// as long during one: one chat sending Send Events as fast as
	// floodSenders connections can, each request a message. The two
	// alternate in floodRounds, so that what else the machine does weighs
	// on both alike.
	floodFor     = 6 * time.Second
	floodRounds  = 6
	floodSenders = 256
)

// floodSuite measures what a flood from one chat costs the other chats: the
// p99 of their messages' acknowledgments during the flood, beside the p99
// without it. The limit refuses the flood; the target is a p99 within 2x.
func floodSuite(ctx context.Context, cfg config) ([]row, error) {
	p, err := startParley(ctx, cfg.parley, cfg.web, false)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	others, err := openChats(ctx, floodOthers, false, p)
	if err != nil {
		return nil, err
	}
	defer closeChats(others)
	creds := newVisitor()
	chat, err := p.requestChat(ctx, creds)
	if err != nil {
		return nil, err
	}
	target, err := json.Marshal(floodTarget{URL: p.url + protocol.Path(protocol.PathChatEvents, chat.ChatID), ChatID: chat.ChatID, Authorization: creds.Authorization()})
	if err != nil {
		return nil, err
	}
	h, err := startHelper(ctx, flooder, floodEnv+"="+string(target))
	if err != nil {
		return nil, err
	}
	defer h.stop()

	logf("flood: %d chats, a message every %s each, %s without a flood and %s while one chat floods Send Events from %d connections, in %d rounds",
		floodOthers, floodPace, floodFor, floodFor, floodSenders, floodRounds)
	var f floodCount
	var quiet, during []time.Duration
	var quietCPU, duringCPU time.Duration
	round := floodFor / floodRounds
	measure := func(load func(context.Context), lat *[]time.Duration, cpu *time.Duration) error {
		before, err := cpuTime(p.cmd.Process.Pid)
		if err != nil {
			return err
		}
		l, err := paced(ctx, others, round, load)
		if err != nil {
			return err
		}
		after, err := cpuTime(p.cmd.Process.Pid)
		if err != nil {
			return err
		}
		*lat, *cpu = append(*lat, l...), *cpu+after-before
		return nil
	}
	for range floodRounds {
		if err := measure(nil, &quiet, &quietCPU); err != nil {
			return nil, err
		}
		var floodErr error
		if err := measure(func(context.Context) { floodErr = f.add(floodRound(ctx, h.url, round)) }, &during, &duringCPU); err != nil {
			return nil, err
		}
		if floodErr != nil {
			return nil, fmt.Errorf("the flood: %w", floodErr)
		}
	}
	if f.Failed > 0 {
		return nil, fmt.Errorf("the flood: %d requests failed without the API's answer; the first: %s", f.Failed, f.First)
	}
	sent, refused := f.Sent, f.Refused
	what := fmt.Sprintf("%d chats, one message each every %s, %s without a flood and %s during one, alternating in %d rounds; the flood: %d Send Events from one chat over %d connections, %d refused with 7002",
		floodOthers, floodPace, floodFor, floodFor, floodRounds, sent, floodSenders, refused)
	return []row{
		{Figure: "the other chats' p50 acknowledgment during a flood (" + what + ")", Value: ms(quantile(during, 0.50)), Unit: "ms",
			Ref: new(ms(quantile(quiet, 0.50))), RefLabel: "the same chats without the flood"},
		{Figure: "the other chats' p99 acknowledgment during a flood (the same)", Value: ms(quantile(during, 0.99)), Unit: "ms",
			Ref: new(ms(quantile(quiet, 0.99))), RefLabel: "the same chats without the flood; the target is within 2x"},
		{Figure: "the flood's requests the server answered, a second (the same)", Value: float64(sent) / floodFor.Seconds(), Unit: "/s"},
		{Figure: "the server's CPU time during the flood, a second (the same)", Value: ms(duringCPU / time.Duration(floodFor.Seconds())), Unit: "ms/s",
			Ref: new(ms(quietCPU / time.Duration(floodFor.Seconds()))), RefLabel: "the same chats without the flood"},
	}, nil
}

// paced has each chat send a message every floodPace for d, and returns
// the time from each write to its acknowledgment. During it, load runs too,
// if not nil, and paced waits for it.
func paced(ctx context.Context, chats []*chatPair, d time.Duration, load func(context.Context)) ([]time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	if load != nil {
		loadCtx, stopLoad := context.WithTimeout(ctx, d)
		defer stopLoad()
		wg.Go(func() { load(loadCtx) })
	}
	var mu sync.Mutex
	var lat []time.Duration
	errs := make(chan error, len(chats))
	end := time.Now().Add(d)
	for k, c := range chats {
		wg.Go(func() {
			// Spread over the pace, so the chats do not send in step.
			ticker := time.NewTicker(floodPace)
			defer ticker.Stop()
			select {
			case <-time.After(floodPace * time.Duration(k) / time.Duration(len(chats))):
			case <-ctx.Done():
			}
			for i := 0; time.Now().Before(end); i++ {
				c.visitor.sent++
				ref := fmt.Sprintf("p%d", c.visitor.sent)
				frame, err := protocol.Envelope{Ref: ref, Events: []protocol.Event{
					&protocol.Message{MsgID: protocol.MessageID(c.visitor.chat.ChatID, c.visitor.sent), Msg: "paced " + ref},
				}}.MarshalJSON()
				if err != nil {
					errs <- err
					return
				}
				start := time.Now()
				if err := c.visitor.conn.Write(ctx, websocket.MessageText, frame); err != nil {
					errs <- err
					return
				}
				a, err := c.visitor.next(ctx, answers(ref))
				if err != nil {
					errs <- err
					return
				}
				if a.env.Error != nil {
					errs <- fmt.Errorf("a paced message was refused: %w", a.env.Error)
					return
				}
				mu.Lock()
				lat = append(lat, a.at.Sub(start))
				mu.Unlock()
				select {
				case <-ticker.C:
				case <-ctx.Done():
					errs <- ctx.Err()
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return lat, nil
}

// floodEnv gives the flooder its floodTarget, as JSON.
const floodEnv = "PARLEY_BENCH_FLOOD"

// floodTarget is the chat the flooder floods: its Send Events URL, its id
// and the Authorization header of its visitor.
type floodTarget struct {
	URL           string `json:"url"`
	ChatID        string `json:"chat_id"`
	Authorization string `json:"authorization"`
}

// floodCount is what a flood round sent: the answers, those of them
// refused with 7002, and the requests that failed without the API's
// answer, with the first of their errors.
type floodCount struct {
	Sent    int64  `json:"sent"`
	Refused int64  `json:"refused"`
	Failed  int64  `json:"failed"`
	First   string `json:"first,omitempty"`
}

// add counts a round's answers in c.
func (c *floodCount) add(round floodCount, err error) error {
	if err != nil {
		return err
	}
	if c.First == "" {
		c.First = round.First
	}
	c.Sent, c.Refused, c.Failed = c.Sent+round.Sent, c.Refused+round.Refused, c.Failed+round.Failed
	return nil
}

// floodRound asks the flooder at url for a round of d, and returns its count.
func floodRound(ctx context.Context, url string, d time.Duration) (floodCount, error) {
	var c floodCount
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/?for="+d.String(), nil)
	if err != nil {
		return c, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("the flooder answered %s", resp.Status)
	}
	return c, json.NewDecoder(resp.Body).Decode(&c)
}

// floodServer sends Send Events for one chat from floodSenders
// connections, as fast as the server answers, for the time each request
// to it names (?for=), and answers the round's floodCount.
type floodServer struct {
	target floodTarget
	client *http.Client
	n      atomic.Int64
}

func newFlooder(target string) (*floodServer, error) {
	var t floodTarget
	if err := json.Unmarshal([]byte(target), &t); err != nil {
		return nil, fmt.Errorf("%s: %w", floodEnv, err)
	}
	return &floodServer{target: t, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: floodSenders}}}, nil
}

func (f *floodServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d, err := time.ParseDuration(r.URL.Query().Get("for"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), d)
	defer cancel()
	c := f.run(ctx)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(c)
}

// run floods until ctx ends; the requests under way then finish, not cut,
// so that the connections stay open for the next round rather than being
// dialled again, which would cost the server more than the requests.
func (f *floodServer) run(ctx context.Context) floodCount {
	reqCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), floodFor)
	defer cancel()
	var sent, refused, failed atomic.Int64
	var first atomic.Value
	fail := func(err error) {
		if failed.Add(1) == 1 {
			first.Store(err.Error())
		}
	}
	var wg sync.WaitGroup
	for range floodSenders {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := f.n.Add(1)
				body, err := protocol.EncodeEnvelope(&protocol.Message{MsgID: protocol.MessageID(f.target.ChatID, int(i)), Msg: "flood"})
				if err != nil {
					fail(err)
					return
				}
				req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, f.target.URL, bytes.NewReader(body))
				if err != nil {
					fail(err)
					return
				}
				req.Header.Set("Authorization", f.target.Authorization)
				req.Header.Set("Content-Type", "application/json; charset=UTF-8")
				err = parleytest.Do(f.client, req, nil)
				switch {
				case ctx.Err() != nil:
					return // the round is over; this answer came too late to count
				case err == nil:
					sent.Add(1)
				case isRateLimited(err):
					sent.Add(1)
					refused.Add(1)
				default:
					fail(err)
				}
			}
		})
	}
	wg.Wait()
	c := floodCount{Sent: sent.Load(), Refused: refused.Load(), Failed: failed.Load()}
	if s, ok := first.Load().(string); ok {
		c.First = s
	}
	return c
}

// cpuTime is the CPU time the process pid used so far, user and system,
// from /proc/PID/stat (in clock ticks, 100 a second on Linux).
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command's name, which is in parentheses and may
	// hold spaces: utime and stime are the 14th and 15th of the line.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat has %d fields after the name", pid, len(fields))
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100, nil
}

func isRateLimited(err error) bool {
	var perr *protocol.Error
	return errors.As(err, &perr) && perr.Code == protocol.CodeRateLimited
}
