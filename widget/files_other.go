//go:build !js

package widget

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/widget/client"
)

// attachments reads a browser FileList: Go programs have none.
func attachments(app.Value) []client.Attachment { return nil }
