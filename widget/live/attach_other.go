//go:build !js

package live

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/widget/client"
)

// attachments reads a browser FileList: Go programs have no browser, and
// no files to attach.
func attachments(app.Value) []client.Attachment { return nil }
