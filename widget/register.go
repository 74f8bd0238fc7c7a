package widget

import (
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

var registerOnce sync.Once

// Register adds the window, as it is drawn before the wasm runs, to
// go-app's routes at "/" (the server mounts the document under a prefix),
// so that the server prerenders it. The wasm program registers the live
// window there instead (widget/live). Calling it again does nothing.
func Register() {
	registerOnce.Do(func() {
		app.Route("/", func() app.Composer { return NewWindow() })
	})
}
