//go:build js && wasm

package call

import (
	"context"
	"fmt"
	"sync"
	"syscall/js"

	"github.com/parleychat/parley/protocol"
)

// Browser is the browser's media: getUserMedia and an RTCPeerConnection
// with the ICE servers, the agent's stream shown in the element
// RemoteVideoID and the visitor's camera in LocalVideoID.
func Browser(ice []protocol.ICEServer, report func(PeerEvent)) (Peer, error) {
	ctor := js.Global().Get("RTCPeerConnection")
	if !ctor.Truthy() {
		return nil, fmt.Errorf("%w: this browser has no RTCPeerConnection", ErrNoMedia)
	}
	servers := make([]any, 0, len(ice))
	for _, s := range ice {
		urls := make([]any, len(s.URLs))
		for i, u := range s.URLs {
			urls[i] = u
		}
		server := map[string]any{"urls": urls}
		if s.Username != "" {
			server["username"], server["credential"] = s.Username, s.Credential
		}
		servers = append(servers, server)
	}
	p := &browserPeer{
		pc:     ctor.New(map[string]any{"iceServers": servers}),
		remote: js.Global().Get("MediaStream").New(),
		events: make(chan PeerEvent, 256),
		done:   make(chan struct{}),
	}
	p.handle("onicecandidate", func(ev js.Value) {
		c := ev.Get("candidate")
		if c.IsNull() || c.IsUndefined() || c.Get("candidate").String() == "" {
			return // the end of gathering, which the agent need not hear of
		}
		data := protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: c.Get("candidate").String()}
		if mid := c.Get("sdpMid"); mid.Type() == js.TypeString {
			data.SDPMid = mid.String()
		}
		if index := c.Get("sdpMLineIndex"); index.Type() == js.TypeNumber {
			n := index.Int()
			data.SDPMLineIndex = &n
		}
		p.report(PeerEvent{Candidate: &data})
	})
	p.handle("onconnectionstatechange", func(js.Value) {
		p.report(PeerEvent{Connection: p.pc.Get("connectionState").String()})
	})
	p.handle("ontrack", func(ev js.Value) {
		track := ev.Get("track")
		p.remote.Call("addTrack", track)
		p.Attach()
		if track.Get("kind").String() == "video" {
			p.report(PeerEvent{RemoteVideo: true})
		}
	})
	go func() {
		for {
			select {
			case ev := <-p.events:
				report(ev)
			case <-p.done:
				return
			}
		}
	}()
	return p, nil
}

// browserPeer is a Peer over the browser's WebRTC.
type browserPeer struct {
	pc     js.Value
	remote js.Value
	// events carry what the browser's handlers report to the goroutine
	// that hands it on: a handler runs on the page's event loop, which
	// must not wait for the engine.
	events chan PeerEvent
	done   chan struct{}

	mu       sync.Mutex
	local    js.Value
	audio    js.Value // the microphone's sender
	handlers []js.Func
	closed   bool
}

// handle sets the connection's handler name to f, released on Close.
func (p *browserPeer) handle(name string, f func(js.Value)) {
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		f(args[0])
		return nil
	})
	p.handlers = append(p.handlers, fn)
	p.pc.Set(name, fn)
}

func (p *browserPeer) report(ev PeerEvent) {
	select {
	case p.events <- ev:
	default: // 256 events nobody took: the engine is gone
	}
}

// Answer implements Peer.
func (p *browserPeer) Answer(ctx context.Context, offer string, video bool) (string, error) {
	devices := js.Global().Get("navigator").Get("mediaDevices")
	if !devices.Truthy() {
		return "", fmt.Errorf("%w: the browser offers no microphone to an insecure page", ErrNoDevice)
	}
	// Devices that come after the call was given up are let go at once.
	stream, err := await(ctx, devices.Call("getUserMedia", map[string]any{"audio": true, "video": video}), stopTracks)
	if err != nil {
		return "", mediaError(err)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		stopTracks(stream)
		return "", context.Canceled
	}
	p.local = stream
	p.mu.Unlock()
	if _, err := await(ctx, p.pc.Call("setRemoteDescription", map[string]any{"type": "offer", "sdp": offer}), nil); err != nil {
		return "", fmt.Errorf("the agent's offer: %w", err)
	}
	tracks := stream.Call("getTracks")
	for i := range tracks.Length() {
		sender := p.pc.Call("addTrack", tracks.Index(i), stream)
		if tracks.Index(i).Get("kind").String() == "audio" {
			p.mu.Lock()
			p.audio = sender
			p.mu.Unlock()
		}
	}
	p.Attach()
	answer, err := await(ctx, p.pc.Call("createAnswer"), nil)
	if err != nil {
		return "", fmt.Errorf("answering: %w", err)
	}
	if _, err := await(ctx, p.pc.Call("setLocalDescription", answer), nil); err != nil {
		return "", fmt.Errorf("answering: %w", err)
	}
	return p.pc.Get("localDescription").Get("sdp").String(), nil
}

// AddCandidate implements Peer.
func (p *browserPeer) AddCandidate(c protocol.SignalData) error {
	init := map[string]any{"candidate": c.Candidate}
	if c.SDPMid != "" {
		init["sdpMid"] = c.SDPMid
	}
	if c.SDPMLineIndex != nil {
		init["sdpMLineIndex"] = *c.SDPMLineIndex
	}
	p.pc.Call("addIceCandidate", init).Call("catch", ignore)
	return nil
}

// SetMuted implements Peer: a muted microphone's sender has no track, so
// not a packet of it leaves, not even silence.
func (p *browserPeer) SetMuted(muted bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.audio.Truthy() || !p.local.Truthy() {
		return
	}
	tracks := p.local.Call("getAudioTracks")
	if tracks.Length() == 0 {
		return
	}
	track := tracks.Index(0)
	track.Set("enabled", !muted)
	if muted {
		p.audio.Call("replaceTrack", js.Null()).Call("catch", ignore)
	} else {
		p.audio.Call("replaceTrack", track).Call("catch", ignore)
	}
}

// SetCamera implements Peer: a paused camera sends black.
func (p *browserPeer) SetCamera(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.local.Truthy() {
		return
	}
	tracks := p.local.Call("getVideoTracks")
	for i := range tracks.Length() {
		tracks.Index(i).Set("enabled", on)
	}
}

// Attach implements Peer.
func (p *browserPeer) Attach() {
	p.mu.Lock()
	local := p.local
	p.mu.Unlock()
	show(RemoteVideoID, p.remote)
	if local.Truthy() {
		show(LocalVideoID, local)
	}
}

// show plays stream in the element with the id, if the page has it.
func show(id string, stream js.Value) {
	el := js.Global().Get("document").Call("getElementById", id)
	if !el.Truthy() || el.Get("srcObject").Equal(stream) {
		return
	}
	el.Set("srcObject", stream)
	// Autoplay may refuse sound until the visitor touched the page; the
	// call goes on, and the next touch plays it.
	el.Call("play").Call("catch", ignore)
}

// Close implements Peer.
func (p *browserPeer) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	close(p.done)
	for _, name := range []string{"onicecandidate", "onconnectionstatechange", "ontrack"} {
		p.pc.Set(name, js.Null())
	}
	p.pc.Call("close")
	for _, fn := range p.handlers {
		fn.Release()
	}
	if p.local.Truthy() {
		stopTracks(p.local)
	}
	for _, id := range []string{RemoteVideoID, LocalVideoID} {
		if el := js.Global().Get("document").Call("getElementById", id); el.Truthy() {
			el.Set("srcObject", js.Null())
		}
	}
}

func stopTracks(stream js.Value) {
	tracks := stream.Call("getTracks")
	for i := range tracks.Length() {
		tracks.Index(i).Call("stop")
	}
}

// ignore swallows a promise's rejection that changes nothing, so it is not
// reported as an error the page left unhandled.
var ignore = js.FuncOf(func(js.Value, []js.Value) any { return nil })

// jsError is a rejection of a browser promise: a DOMException's name and
// message.
type jsError struct{ name, message string }

func (e jsError) Error() string { return e.name + ": " + e.message }

// mediaError says what a refusal of getUserMedia means to the visitor.
func mediaError(err error) error {
	if e, ok := err.(jsError); ok {
		switch e.name {
		case "NotAllowedError", "SecurityError":
			return fmt.Errorf("%w (%s)", ErrPermission, e.message)
		case "NotFoundError", "NotReadableError", "OverconstrainedError", "AbortError":
			return fmt.Errorf("%w (%s)", ErrNoDevice, e.message)
		}
	}
	return err
}

// await waits for a promise: its value, or its rejection as a jsError. When
// ctx ends first it returns ctx's error, and late gets the value the
// promise resolves to after all, if late is not nil.
func await(ctx context.Context, promise js.Value, late func(js.Value)) (js.Value, error) {
	type result struct {
		value js.Value
		err   error
	}
	done := make(chan result, 1)
	resolve := js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- result{value: args[0]}
		return nil
	})
	reject := js.FuncOf(func(_ js.Value, args []js.Value) any {
		reason := args[0]
		e := jsError{name: "Error", message: js.Global().Get("String").Invoke(reason).String()}
		if reason.Type() == js.TypeObject {
			if name := reason.Get("name"); name.Type() == js.TypeString {
				e.name, e.message = name.String(), reason.Get("message").String()
			}
		}
		done <- result{err: e}
		return nil
	})
	promise.Call("then", resolve, reject)
	select {
	case r := <-done:
		resolve.Release()
		reject.Release()
		return r.value, r.err
	case <-ctx.Done():
		// The functions stay until the promise settles, which calls one.
		go func() {
			r := <-done
			resolve.Release()
			reject.Release()
			if r.err == nil && late != nil {
				late(r.value)
			}
		}()
		return js.Value{}, ctx.Err()
	}
}
