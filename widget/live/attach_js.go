//go:build js && wasm

package live

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/widget/client"
)

// attachments reads a browser FileList: the files picked, dropped or
// pasted.
func attachments(files app.Value) []client.Attachment { return client.Attachments(files) }
