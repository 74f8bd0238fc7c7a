package widget

import (
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

var registerOnce sync.Once

// Register adds the chat window to go-app's routes at "/" (the server mounts
// the document under a prefix). The wasm program and the server both call it
// before go-app runs; calling it again does nothing.
func Register() {
	registerOnce.Do(func() {
		app.Route("/", func() app.Composer { return &Chat{} })
	})
}
