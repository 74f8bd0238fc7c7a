//go:build js && wasm

// Command callpage runs the widget's call engine on a page of its own, for
// the browser tests, as a call panel in the widget will: a client.Session to
// a chat (the query names the server, ?api=, and the visitor, ?client=),
// its Calls, the page's buttons wired to them, the call's State written
// into the page. It builds only for the browser.
package main

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/call"
	"github.com/parleychat/parley/widget/client"
)

func main() {
	query, _ := url.ParseQuery(strings.TrimPrefix(js.Global().Get("location").Get("search").String(), "?"))
	sess := client.NewSession(client.Config{
		BaseURL:     query.Get("api"),
		Credentials: protocol.Credentials{AppID: query.Get("app"), ClientID: query.Get("client")},
		MinBackoff:  100 * time.Millisecond,
		MaxBackoff:  time.Second,
	})
	ctx := context.Background()
	go func() { _ = sess.Run(ctx) }()
	go func() {
		for u := range sess.Updates() {
			if u.Conn != "" {
				set("conn", string(u.Conn))
			}
			if u.Chat != nil {
				set("chat", u.Chat.ChatID)
			}
		}
	}()
	go func() {
		for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
			if _, err := sess.Configuration(ctx); err == nil {
				return
			}
			time.Sleep(wait)
		}
	}()

	calls := sess.Calls()
	render(calls.State())
	go func() {
		for range calls.Changed() {
			render(calls.State())
			calls.Attach()
		}
	}()
	go func() {
		for range time.Tick(250 * time.Millisecond) {
			set("timer", calls.State().Elapsed(time.Now()).String())
		}
	}()
	for id, press := range map[string]func(){
		"request-audio": func() { report(calls.Request(false)) },
		"request-video": func() { report(calls.Request(true)) },
		"accept-audio":  func() { report(calls.Accept(false)) },
		"accept-video":  func() { report(calls.Accept(true)) },
		"decline":       func() { report(calls.Decline()) },
		"hangup":        calls.HangUp,
		"mute":          func() { calls.SetMuted(true) },
		"unmute":        func() { calls.SetMuted(false) },
		"camera-off":    func() { calls.SetCamera(false) },
		"camera-on":     func() { calls.SetCamera(true) },
	} {
		element(id).Call("addEventListener", "click", js.FuncOf(func(js.Value, []js.Value) any {
			go press() // the engine may wait for the session: never on the page's event loop
			return nil
		}))
	}
	select {}
}

// render writes the call's state into the page, as text.
func render(s call.State) {
	set("phase", string(s.Phase))
	set("party", s.Party)
	set("reason", string(s.Reason))
	set("error", s.Err)
	for id, on := range map[string]bool{
		"video": s.Video, "camera": s.Camera, "camera-paused": s.CameraOff, "muted": s.Muted,
		"remote-video": s.RemoteVideo, "enabled": s.Enabled, "can-request": s.CanRequest,
	} {
		set(id, strconv.FormatBool(on))
	}
}

// report shows what an action was refused for.
func report(err error) {
	if err != nil {
		set("refused", err.Error())
	}
}

func element(id string) js.Value {
	return js.Global().Get("document").Call("getElementById", id)
}

func set(id, text string) { element(id).Set("textContent", text) }
