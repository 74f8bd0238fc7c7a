//go:build js && wasm

package widget

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/widget/client"
)

// attachments reads a browser FileList, from a file input, a drop or a
// paste.
func attachments(list app.Value) []client.Attachment { return client.Attachments(list) }
