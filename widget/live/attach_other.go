//go:build !js

package live

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Attach takes a browser FileList: Go programs have no browser, and no
// files to attach.
func (c *Chat) Attach(app.Value) {}
