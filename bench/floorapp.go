package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest/browser"
)

// floorAppProgram is the least a go-app program can do before a visitor
// can type: draw one text input from its wasm. Built natively it serves
// itself with go-app's own Handler on a loopback port it prints; in the
// browser, the component marks the body once it is mounted, which the
// prerendered page never is.
const floorAppProgram = `package main

import (
	"fmt"
	"net"
	"net/http"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

type composer struct{ app.Compo }

func (c *composer) OnMount(app.Context) {
	app.Window().Get("document").Get("body").Call("setAttribute", "data-mounted", "")
}

func (c *composer) Render() app.UI { return app.Input().Type("text").Placeholder("Type a message") }

func main() {
	app.Route("/", func() app.Composer { return &composer{} })
	app.RunWhenOnBrowser()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println("http://" + l.Addr().String())
	panic(http.Serve(l, &app.Handler{Name: "floor", Title: "floor"}))
}
`

// floorMounted resolves with the time from the page's navigation to its
// input mounted by the wasm, in milliseconds.
var floorMounted = "(" + keep("__floorMounted", when(`document.body && document.body.hasAttribute("data-mounted")`)) +
	").then(r => r.at - performance.timeOrigin)"

// floorApp is floorAppProgram running.
type floorApp struct {
	url  string
	dir  string
	cmd  *exec.Cmd
	exit chan error
}

// startFloorApp builds floorAppProgram for this machine and for js/wasm,
// as build.sh builds the widget (go-app's Handler serves the wasm as it
// is, uncompressed), and starts it.
func startFloorApp(ctx context.Context) (*floorApp, error) {
	logf("browser: building the floor, a minimal go-app %s program with one input", goAppVersion)
	dir, err := goAppModule(floorAppProgram)
	if err != nil {
		return nil, err
	}
	f := &floorApp{dir: dir, exit: make(chan error, 1)}
	if err := goBuild(ctx, dir, "floor", false); err != nil {
		f.stop()
		return nil, err
	}
	if err := goBuild(ctx, dir, filepath.Join("web", "app.wasm"), true); err != nil {
		f.stop()
		return nil, err
	}
	addrs := make(chan string, 1)
	f.cmd = exec.Command(filepath.Join(dir, "floor"))
	f.cmd.Dir = dir
	f.cmd.Stderr = os.Stderr
	// A writer, not a pipe, so Wait returns only once all output is read.
	f.cmd.Stdout = &lineWriter{line: func(line string) {
		if strings.HasPrefix(line, "http://127.0.0.1:") {
			select {
			case addrs <- line:
			default:
			}
		}
	}}
	if err := f.cmd.Start(); err != nil {
		f.cmd = nil
		f.stop()
		return nil, err
	}
	go func() { f.exit <- f.cmd.Wait() }()
	select {
	case f.url = <-addrs:
		return f, nil
	case err = <-f.exit:
		f.exit <- err
		err = fmt.Errorf("the floor program exited without an address: %v", err)
	case <-ctx.Done():
		err = ctx.Err()
	}
	f.stop()
	return nil, err
}

func (f *floorApp) stop() {
	if f.cmd != nil && f.cmd.Process != nil {
		f.cmd.Process.Kill()
		<-f.exit
	}
	os.RemoveAll(f.dir)
}

// floorOpens opens the floor program's page runs times cold (a new
// browser and profile each) and runs times warm (one browser, warmed by
// a first open, a new tab each), as the widget is opened, and returns
// each open's time from navigation to the input mounted.
func floorOpens(ctx context.Context, runs int) (cold, warm []float64, err error) {
	f, err := startFloorApp(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer f.stop()
	for range runs {
		b, err := startBrowser(ctx)
		if err != nil {
			return nil, nil, err
		}
		ms, err := openFloor(ctx, b, f.url)
		b.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("the floor, cold: %w", err)
		}
		cold = append(cold, ms)
	}
	b, err := startBrowser(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer b.Close()
	for i := range runs + 1 {
		ms, err := openFloor(ctx, b, f.url)
		if err != nil {
			return nil, nil, fmt.Errorf("the floor, warm: %w", err)
		}
		if i > 0 {
			warm = append(warm, ms)
		}
	}
	return cold, warm, nil
}

// openFloor loads the floor's page in a new tab of b until its input is
// mounted.
func openFloor(ctx context.Context, b *browser.Browser, url string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tab, closeTab := chromedp.NewContext(b.Ctx)
	defer closeTab()
	stop := context.AfterFunc(ctx, closeTab)
	defer stop()
	if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: floorMounted})
		return err
	}), chromedp.Navigate(url+"/")); err != nil {
		return 0, fmt.Errorf("loading %s: %w", url, err)
	}
	raw, err := chromedp.Run(tab, chromedp.Evaluate[[]byte](floorMounted, chromedp.EvalAwaitPromise))
	if err != nil {
		return 0, err
	}
	var ms float64
	if err := json.Unmarshal(raw, &ms); err != nil {
		return 0, err
	}
	if ms <= 0 {
		return 0, errors.New("the floor's input was mounted before its page began")
	}
	return ms, nil
}
