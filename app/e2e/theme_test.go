package e2e

import (
	"html/template"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// TestThemes opens the widget in the default theme, in dark mode (asked
// for by the page, or by the visitor's system while the mode is auto), in
// light mode on a dark system, and in a custom theme set from the tag and
// the API, with a conversation to look at, and checks the tokens reach the
// window and the launcher.
func TestThemes(t *testing.T) {
	cases := []struct {
		name       string
		attrs      string
		theme      string
		systemDark bool
		checks     map[string]string // window expression -> what it shows
		onLeft     bool
	}{
		{name: "default", checks: map[string]string{
			`getComputedStyle(document.querySelector(".parley-header")).backgroundColor === "rgb(31, 95, 209)"`: "the default brand",
			`getComputedStyle(document.body).backgroundColor === "rgb(255, 255, 255)"`:                          "a light surface",
		}},
		{name: "dark", theme: `{mode: "dark"}`, checks: map[string]string{
			`document.documentElement.dataset.mode === "dark"`:                      "dark mode",
			`getComputedStyle(document.body).backgroundColor === "rgb(21, 24, 28)"`: "a dark surface",
		}},
		{name: "dark-system", systemDark: true, checks: map[string]string{
			`document.documentElement.dataset.mode === "auto"`:                      "the system's mode",
			`getComputedStyle(document.body).backgroundColor === "rgb(21, 24, 28)"`: "a dark surface",
		}},
		{name: "light-on-a-dark-system", theme: `{mode: "light"}`, systemDark: true, checks: map[string]string{
			`document.documentElement.dataset.mode === "light"`:                        "light mode",
			`getComputedStyle(document.body).backgroundColor === "rgb(255, 255, 255)"`: "a light surface",
		}},
		{name: "custom", attrs: `data-position="left" data-color="#7a2e8e"`,
			theme: `{brand: "#0a7d5a", agentBubble: "#fff4d6", radius: "4px", font: "Georgia, serif", fontSize: "16px"}`,
			checks: map[string]string{
				`getComputedStyle(document.querySelector(".parley-header")).backgroundColor === "rgb(10, 125, 90)"`: "the brand",
				`getComputedStyle(document.body).fontFamily.startsWith("Georgia")`:                                  "the font",
			}, onLeft: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := parleytest.Start(t, parleytest.Quiet())
			tab := openTab(t, fixturePage(t, srv.URL, "api.html", template.HTMLAttr(tc.attrs)))
			if err := chromedp.Do(tab.ctx, chromedp.WaitVisible(launcher)); err != nil {
				t.Fatal(err)
			}
			if tc.theme != "" {
				if err := chromedp.Do(tab.ctx, chromedp.Evaluate[chromedp.Void](`Parley("theme", `+tc.theme+`)`)); err != nil {
					t.Fatal(err)
				}
			}
			if err := chromedp.Do(tab.ctx, chromedp.Click(launcher)); err != nil {
				t.Fatal(err)
			}
			frame := tab.frame(srv.URL)
			if tc.systemDark {
				dark := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}
				if _, err := chromedp.Call(frame, emulation.SetEmulatedMedia, dark); err != nil {
					t.Fatal(err)
				}
			}
			if err := chromedp.Do(frame, chromedp.WaitVisible(chromedp.CSS(`[data-testid=chat][data-connection=connected]`))); err != nil {
				t.Fatal(err)
			}
			chatID := attribute(t, frame, `[data-testid=chat]`, "data-chat-id")
			if err := srv.Chats.Send(tab.ctx, chatID, &protocol.Message{MsgID: protocol.MessageID(chatID, 90), Msg: "Is the tent waterproof?"}); err != nil {
				t.Fatal(err)
			}
			if err := srv.Chats.Publish(tab.ctx, chatID,
				&protocol.PartyJoined{FirstName: "Grace", Type: protocol.PartyInternal, Meta: protocol.Meta{PartyID: "agent-1"}},
				&protocol.Message{Msg: "Yes, to 3000 mm. See https://shop.example/ridgeline", Meta: protocol.Meta{PartyID: "agent-1"}},
			); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(frame, chromedp.WaitVisible(chromedp.CSS(`[data-testid=message][data-from=agent]`))); err != nil {
				t.Fatal(err)
			}
			for expr, what := range tc.checks {
				waitJS(t, frame, what, expr)
			}
			left := inShadow[bool](t, tab.ctx, `root.querySelector("[data-testid=launcher]").getBoundingClientRect().x < 100`)
			if left != tc.onLeft {
				t.Errorf("the launcher is on the left: %v, want %v", left, tc.onLeft)
			}
			tab.screenshot("theme-" + tc.name)
		})
	}
}

// TestPlayground changes a token in the theme playground: the widget wears
// it at once, and the page shows the code to copy.
func TestPlayground(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	tab := openTab(t, srv.DemoURL+"/playground.html")
	if err := chromedp.Do(tab.ctx, chromedp.WaitVisible(launcher), chromedp.Click(chromedp.ID("open"))); err != nil {
		t.Fatal(err)
	}
	frame := tab.frame(srv.URL)
	if err := chromedp.Do(frame, chromedp.WaitVisible(chromedp.CSS(`[data-testid=chat][data-connection=connected]`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab.ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const brand = document.querySelector("[name=brand]");
		brand.value = "#aa3311";
		brand.dispatchEvent(new Event("input", {bubbles: true}));
	})()`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, frame, "the playground's brand", `getComputedStyle(document.querySelector(".parley-header")).backgroundColor === "rgb(170, 51, 17)"`)
	waitJS(t, tab.ctx, "the code to copy", `document.querySelector("[data-testid=playground-code]").textContent.includes("#aa3311")`)
	tab.screenshot("playground")
}
