package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// TestCSPViolationsAreCaught shows that the tabs of these tests see a
// Content-Security-Policy violation, in a page and in a cross-site frame
// attached after it loaded, so that every browser test, which fails on
// one, would fail on a violation of the widget's or the console's policy.
func TestCSPViolationsAreCaught(t *testing.T) {
	framed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>framed</title><p style="color:red">styled inline</p><script>window.ran = true</script>`))
	}))
	t.Cleanup(framed.Close)
	// Another site: localhost frames 127.0.0.1.
	frameURL := strings.Replace(framed.URL, "127.0.0.1", "localhost", 1) + "/framed"
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-src "+strings.Replace(framed.URL, "127.0.0.1", "localhost", 1))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>page</title><script>window.ran = true</script><iframe src="` + frameURL + `"></iframe>`))
	}))
	t.Cleanup(page.Close)

	tb := openPrivateTab(t, page.URL)
	tb.allowViolations = true
	frame := tb.frame(strings.Replace(framed.URL, "127.0.0.1", "localhost", 1))
	if ran := evalJS[bool](t, frame, `!!window.ran`); ran {
		t.Fatal("the framed page ran an inline script its policy forbids")
	}
	var got []string
	waitUntil(t, "the page's and the frame's violations", func() bool {
		got = tb.Violations()
		inPage, inFrame := 0, 0
		for _, v := range got {
			switch {
			case strings.Contains(v, frameURL):
				inFrame++
			case strings.Contains(v, page.URL):
				inPage++
			}
		}
		return inPage >= 1 && inFrame >= 2
	})
	t.Logf("caught: %q", got)
}

// TestWidgetAndConsoleServeAStrictCSP: the widget's document and the
// agent console come with a policy that allows no inline script but the
// widget's own by its hash, no eval and no inline style. That the policy
// holds in every flow (no violation reported) is what every browser test
// checks as it ends.
func TestWidgetAndConsoleServeAStrictCSP(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	for _, path := range []string{"/widget/", "/agent", "/agent/console.js"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		policy := resp.Header.Get("Content-Security-Policy")
		directives := map[string]string{}
		for d := range strings.SplitSeq(policy, ";") {
			name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
			directives[name] = value
		}
		if directives["default-src"] != "'none'" || directives["base-uri"] != "'none'" || directives["form-action"] != "'none'" {
			t.Errorf("%s: Content-Security-Policy %q, want default-src, base-uri and form-action 'none'", path, policy)
		}
		for _, d := range []string{"script-src", "style-src"} {
			if v := directives[d]; !strings.HasPrefix(v, "'self'") || strings.Contains(v, "unsafe-inline") || strings.Contains(v, "'unsafe-eval'") || strings.Contains(v, "*") {
				t.Errorf("%s: %s %q, want 'self' without unsafe-inline, unsafe-eval or wildcards", path, d, v)
			}
		}
		if path == "/widget/" && !strings.Contains(directives["script-src"], "'sha256-") {
			t.Errorf("%s: script-src %q, want the boot script by its hash", path, directives["script-src"])
		}
	}

	// The console's page, its list poll and its socket under its policy:
	// the tab fails the test on any violation.
	c, _, err := srv.Chats.Open(t.Context(), protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}, protocol.ChatRequest{})
	if err != nil {
		t.Fatal(err)
	}
	agent := openPrivateTab(t, srv.URL+"/agent?token="+parleytest.AgentToken)
	takeInConsole(t, agent, c.ID)
	waitJS(t, agent.ctx, "the console's socket", `document.querySelector("#chat").dataset.transport === "socket"`)
}
