package upstream_test

import (
	"testing"

	"github.com/parleychat/parley/app/parleytest"
)

func TestMessagesBothWays(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := startBridged(t, parleytest.BrightPatternConfig{})
	v := b.startVisitor(ctx, t)
	up, err := b.bp.WaitForChat(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	agent := up.Join("Grace Hopper")
	sent := numbered("visitor says", 10)
	said := numbered("agent says", 10)
	for i := range sent {
		v.say(sent[i])
		up.Say(said[i])
	}
	v.waitFor(ctx, "every message, both ways", func() bool { return len(v.messages()) == 20 })
	if err := b.bp.WaitFor(ctx, func() bool { return len(up.VisitorMessages()) >= 10 }); err != nil {
		t.Fatal(err)
	}
	if got := visitorTexts(up); !equal(got, sent) {
		t.Errorf("the tenant got %q, want %q", got, sent)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	var fromAgent, fromVisitor []string
	for _, m := range v.messages() {
		switch {
		case len(m) > 9 && m[:9] == "visitor: ":
			fromVisitor = append(fromVisitor, m[9:])
		case len(m) > len(agent)+2 && m[:len(agent)] == agent:
			fromAgent = append(fromAgent, m[len(agent)+2:])
		default:
			t.Errorf("a message from nobody in the chat: %q", m)
		}
	}
	if !equal(fromAgent, said) || !equal(fromVisitor, sent) {
		t.Errorf("the widget shows agent %q and visitor %q, want %q and %q", fromAgent, fromVisitor, said, sent)
	}
	v.checkSeqs()
}
