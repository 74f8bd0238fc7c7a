package main

import (
	"bytes"
	"context"
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
	flooder := newVisitor()
	chat, err := p.requestChat(ctx, flooder)
	if err != nil {
		return nil, err
	}

	logf("flood: %d chats, a message every %s each, %s without a flood and %s while one chat floods Send Events from %d connections, in %d rounds",
		floodOthers, floodPace, floodFor, floodFor, floodSenders, floodRounds)
	var f flood
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
		if err := measure(func(ctx context.Context) { f.run(ctx, p, flooder, chat.ChatID) }, &during, &duringCPU); err != nil {
			return nil, err
		}
	}
	if f.failed.Load() > 0 {
		return nil, fmt.Errorf("the flood: %d requests failed without the API's answer; the first: %v", f.failed.Load(), f.first.Load())
	}
	sent, refused := f.sent.Load(), f.refused.Load()
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

// flood sends Send Events for one chat as fast as it can, and counts the
// answers.
type flood struct {
	sent, refused, failed atomic.Int64
	first                 atomic.Value
}

// The flood ends with ctx; the requests under way then finish, not cut,
// so that the connections stay open for the next round rather than being
// dialled again, which would cost the server more than the requests.
func (f *flood) run(ctx context.Context, p *parley, creds protocol.Credentials, chatID string) {
	url := p.url + protocol.Path(protocol.PathChatEvents, chatID)
	reqCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), floodFor)
	defer cancel()
	var n atomic.Int64
	var wg sync.WaitGroup
	for range floodSenders {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := n.Add(1)
				body, err := protocol.EncodeEnvelope(&protocol.Message{MsgID: protocol.MessageID(chatID, int(i)), Msg: "flood"})
				if err != nil {
					f.fail(err)
					return
				}
				req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, url, strings.NewReader(string(body)))
				if err != nil {
					f.fail(err)
					return
				}
				req.Header.Set("Authorization", creds.Authorization())
				req.Header.Set("Content-Type", "application/json; charset=UTF-8")
				err = p.do(req, nil)
				switch {
				case ctx.Err() != nil:
					return // the flood is over; this answer came too late to count
				case err == nil:
					f.sent.Add(1)
				case isRateLimited(err):
					f.sent.Add(1)
					f.refused.Add(1)
				default:
					f.fail(err)
				}
			}
		})
	}
	wg.Wait()
}

func (f *flood) fail(err error) {
	if f.failed.Add(1) == 1 {
		f.first.Store(err)
	}
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
