//go:build js && wasm

package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/widget/live"
)

// main is the widget, compiled to web/app.wasm.
func main() {
	live.Register()
	app.RunWhenOnBrowser()
}
