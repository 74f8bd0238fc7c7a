package parleytest

import (
	"context"
	"slices"
)

// Requests returns copies of every request received so far, in order of
// arrival. A copy shares its Body with the fake's record: read it, do not
// change it.
func (bp *BrightPattern) Requests() []BrightPatternRequest {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	out := make([]BrightPatternRequest, len(bp.requests))
	for i, r := range bp.requests {
		out[i] = *r
		out[i].Faults = slices.Clone(r.Faults)
	}
	return out
}

// RequestsTo returns the requests received so far for one API method.
func (bp *BrightPattern) RequestsTo(m APIMethod) []BrightPatternRequest {
	var out []BrightPatternRequest
	for _, r := range bp.Requests() {
		if r.API == m {
			out = append(out, r)
		}
	}
	return out
}

// WaitForRequest waits until a request satisfies match, and returns the
// first that does. Status and Dropped change as the fake answers, so a match
// may wait for them too.
func (bp *BrightPattern) WaitForRequest(ctx context.Context, match func(BrightPatternRequest) bool) (BrightPatternRequest, error) {
	var found BrightPatternRequest
	err := bp.WaitFor(ctx, func() bool {
		for _, r := range bp.Requests() {
			if match(r) {
				found = r
				return true
			}
		}
		return false
	})
	return found, err
}

// Chats returns the chats in order of creation, ended ones too.
func (bp *BrightPattern) Chats() []*BrightPatternChat {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	return slices.Clone(bp.chats)
}

// Chat returns the chat with the id, or nil.
func (bp *BrightPattern) Chat(id string) *BrightPatternChat {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	return bp.chatLocked(id)
}

// WaitForChat waits until a chat satisfies match (nil matches any), and
// returns the first in order of creation that does.
func (bp *BrightPattern) WaitForChat(ctx context.Context, match func(*BrightPatternChat) bool) (*BrightPatternChat, error) {
	var found *BrightPatternChat
	err := bp.WaitFor(ctx, func() bool {
		for _, c := range bp.Chats() {
			if match == nil || match(c) {
				found = c
				return true
			}
		}
		return false
	})
	return found, err
}

// File returns the file with the id, as the tenant keeps it.
func (bp *BrightPattern) File(id string) (BrightPatternFile, bool) {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	if f := bp.fileLocked(id); f != nil {
		return *f, true
	}
	return BrightPatternFile{}, false
}

// WaitFor waits until cond holds, checking it again after every change of
// the fake's state: a request, an answer, an event, a poll starting or
// ending. cond may call the fake's methods.
func (bp *BrightPattern) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		bp.mu.Lock()
		changed := bp.changed
		bp.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// touch wakes everything that waits for a change. The caller holds mu.
func (bp *BrightPattern) touch() {
	close(bp.changed)
	bp.changed = make(chan struct{})
}
