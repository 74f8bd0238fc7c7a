package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/protocol"
)

// The phone of the throttled suite: Lighthouse's emulated mobile device
// (412×823 CSS pixels at 1.75 device pixels each), with touch and no
// pointer, so the loader gets no hover to start early on.
const (
	phoneWidth, phoneHeight = 412, 823
	phoneScale              = 1.75
	// firstMessage is what the visitor sends as soon as the window lets
	// them.
	firstMessage = "Hello from a phone"
)

// takesTyping is true once the composer accepts keystrokes.
const takesTyping = `(() => {
  const input = document.querySelector("[data-testid=composer-input]");
  return !!(input && !input.disabled && !input.readOnly);
})()`

// sendEnabled is true once the send button takes a tap.
const sendEnabled = `(() => {
  const send = document.querySelector("[data-testid=send]");
  return !!(send && !send.disabled);
})()`

// chatID resolves with the window's chat id as soon as it has one.
const chatID = `new Promise(resolve => {
  const id = () => (document.querySelector("[data-testid=chat]") || { dataset: {} }).dataset.chatId;
  if (id()) {
    resolve(id());
    return;
  }
  new MutationObserver((_, observer) => {
    if (id()) {
      observer.disconnect();
      resolve(id());
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });
})`

// afterNextFrame resolves with the wall clock time just after the page's
// next frame.
const afterNextFrame = `new Promise(resolve => requestAnimationFrame(() => setTimeout(() => resolve(Date.now()))))`

// watchComposer keeps, in the window, when its composer first took typing.
var watchComposer = keep("__parleyTyping", when(takesTyping))

// slowOpening is one cold open through the throttle, in milliseconds from
// the tap.
type slowOpening struct {
	paint, typing, stored float64
	// prefetched is, with data-prefetch="idle", from the start of the page's
	// navigation to a connected window behind the launcher.
	prefetched float64
	// late says the agent's socket opened after the message could have
	// been stored: stored is then an upper bound.
	late bool
}

// slowOpen loads the host page in a fresh browser on a phone, taps the
// launcher, and as soon as the composer takes typing inserts firstMessage
// and taps send.
func slowOpen(ctx context.Context, p *parley, t *throttle, pagesURL string, prefetch bool) (*slowOpening, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	b, err := startBrowser(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	traffic := &pageTraffic{chatOrigin: t.URL(), urls: map[network.RequestID]string{}, last: time.Now()}
	tab, closeTab := chromedp.NewContext(b.Ctx, chromedp.WithListener(traffic.listen))
	defer closeTab()
	stop := context.AfterFunc(ctx, closeTab)
	defer stop()
	page := pagesURL + "/"
	if prefetch {
		page = pagesURL + "/prefetch"
	}
	if err := chromedp.Do(tab,
		chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateScale(phoneScale), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(page),
	); err != nil {
		return nil, fmt.Errorf("loading %s: %w", page, err)
	}
	o := &slowOpening{}
	var frame context.Context
	if prefetch {
		// The loader loads the window hidden once the page is idle; the
		// window asks for a chat and connects behind the launcher.
		if frame, err = attachWindow(ctx, tab, t.URL(), watchComposer); err != nil {
			return nil, err
		}
		ready, err := chromedp.Run(frame, chromedp.Evaluate[float64](when(interactive)+`.then(r => r.at)`, chromedp.EvalAwaitPromise))
		if err != nil {
			return nil, fmt.Errorf("waiting for the prefetched window: %w", err)
		}
		origin, err := chromedp.Run(tab, chromedp.Evaluate[float64](`performance.timeOrigin`))
		if err != nil {
			return nil, err
		}
		o.prefetched = ready - origin
	}
	if err := traffic.idle(ctx); err != nil {
		return nil, err
	}
	if frames, err := widgetFrames(tab, t.URL()); err != nil || (len(frames) > 0) != prefetch {
		return nil, fmt.Errorf("before the tap, %d chat windows (%v); want one only with the prefetch", len(frames), err)
	}

	x, y, err := launcherCenter(tab)
	if err != nil {
		return nil, err
	}
	tapped, err := chromedp.Run(tab, chromedp.Evaluate[float64](`Date.now()`))
	if err != nil {
		return nil, err
	}
	if err := chromedp.Do(tab,
		chromedp.TapXY(x, y),
		chromedp.Evaluate[chromedp.Void](keep("__parleyShown", afterNextFrame)),
	); err != nil {
		return nil, fmt.Errorf("tapping the launcher: %w", err)
	}
	if !prefetch {
		if frame, err = attachWindow(ctx, tab, t.URL(), watchComposer); err != nil {
			return nil, err
		}
	}
	follow := followChat(ctx, p, frame)

	typing, err := chromedp.Run(frame, chromedp.Evaluate[float64]("("+watchComposer+").then(r => r.at)", chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("waiting for the composer: %w", err)
	}
	painted, err := chromedp.Run(frame, chromedp.Evaluate[float64](firstPaint, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("reading the first paint: %w", err)
	}
	if painted < tapped {
		// A prefetched window that painted while out of sight shows with
		// the page's first frame after the tap.
		if painted, err = chromedp.Run(tab, chromedp.Evaluate[float64](`window.__parleyShown`, chromedp.EvalAwaitPromise)); err != nil {
			return nil, fmt.Errorf("reading the first frame after the tap: %w", err)
		}
	}
	o.paint = painted - tapped
	// The composer takes typing once it is enabled and shown; a prefetched
	// one was enabled before the tap.
	o.typing = max(typing, painted) - tapped

	if err := chromedp.Do(frame, chromedp.Tap(chromedp.CSS(`[data-testid=composer-input]`))); err != nil {
		return nil, fmt.Errorf("tapping the composer: %w", err)
	}
	if _, err := chromedp.Call(frame, input.InsertText, input.InsertTextParams{Text: firstMessage}); err != nil {
		return nil, fmt.Errorf("typing: %w", err)
	}
	if _, err := chromedp.Run(frame, chromedp.Evaluate[[]byte](when(sendEnabled), chromedp.EvalAwaitPromise)); err != nil {
		return nil, fmt.Errorf("waiting for the send button: %w", err)
	}
	sent := time.Now()
	if err := chromedp.Do(frame, chromedp.Tap(chromedp.CSS(`[data-testid=send]`))); err != nil {
		return nil, fmt.Errorf("tapping send: %w", err)
	}
	f := <-follow
	if f.err != nil {
		return nil, f.err
	}
	o.stored = float64(f.stored.UnixMicro())/1e3 - tapped
	// The message crosses at least half a round trip after the tap on
	// send: a socket open by then sees it stored.
	o.late = f.opened.After(sent.Add(t.rtt / 2))
	return o, nil
}

// launcherCenter is where the launcher is on the page.
func launcherCenter(tab context.Context) (x, y float64, err error) {
	raw, err := chromedp.Run(tab, chromedp.Evaluate[[]byte](`(() => {
  const r = document.querySelector("parley-widget").shadowRoot.querySelector("[data-testid=launcher]").getBoundingClientRect();
  return [r.x + r.width / 2, r.y + r.height / 2];
})()`))
	if err != nil {
		return 0, 0, fmt.Errorf("finding the launcher: %w", err)
	}
	var at [2]float64
	err = json.Unmarshal(raw, &at)
	return at[0], at[1], err
}

// followed is when the agent's socket opened, and when the visitor's first
// message arrived on it.
type followed struct {
	opened, stored time.Time
	err            error
}

// followChat waits for the window's chat id, opens the agent API's socket
// to the chat on loopback, past the throttle, and waits there for
// firstMessage: the server sends a stored event on at once.
func followChat(ctx context.Context, p *parley, frame context.Context) <-chan followed {
	out := make(chan followed, 1)
	go func() {
		var f followed
		defer func() { out <- f }()
		id, err := chromedp.Run(frame, chromedp.Evaluate[string](chatID, chromedp.EvalAwaitPromise))
		if err != nil {
			f.err = fmt.Errorf("waiting for the chat id: %w", err)
			return
		}
		conn, err := p.agent.Socket(ctx, id)
		if err != nil {
			f.err = fmt.Errorf("the agent socket: %w", err)
			return
		}
		f.opened = time.Now()
		agent := newPeer(conn)
		defer agent.close()
		for {
			select {
			case a, ok := <-agent.frames:
				if !ok {
					f.err = errors.New("the agent socket closed")
					return
				}
				for _, e := range a.env.Events {
					if m, ok := e.(*protocol.Message); ok && m.PartyID == id && m.Msg == firstMessage {
						f.stored = a.at
						return
					}
				}
			case <-ctx.Done():
				f.err = fmt.Errorf("waiting for the first message: %w", ctx.Err())
				return
			}
		}
	}()
	return out
}
