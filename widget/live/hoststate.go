package live

import (
	"encoding/json"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// hostState is what the page that embeds the window gives it: in the
// fragment when the loader creates the window, then by messages.
type hostState struct {
	Visitor visitor `json:"visitor"`
	// Texts replace the window's words, as language -> text name -> text.
	Texts  map[string]map[string]string `json:"texts"`
	Locale string                       `json:"locale"`
}

// visitor is what the page knows about its visitor, sent with Request Chat.
type visitor struct {
	Name   string            `json:"name"`
	Email  string            `json:"email"`
	Phone  string            `json:"phone"`
	Fields map[string]string `json:"fields"`
}

// request is the visitor as Request Chat parameters: the name as from, the
// phone as the callback number, everything as parameters the scenario reads.
func (v visitor) request() protocol.ChatRequest {
	params := map[string]any{}
	for k, val := range v.Fields {
		params[k] = val
	}
	for k, val := range map[string]string{"name": v.Name, "email": v.Email, "phone": v.Phone} {
		if val != "" {
			params[k] = val
		}
	}
	if first, last, ok := strings.Cut(v.Name, " "); ok {
		params["first_name"], params["last_name"] = first, last
	} else if v.Name != "" {
		params["first_name"] = v.Name
	}
	req := protocol.ChatRequest{From: v.Name, PhoneNumber: v.Phone}
	if len(params) > 0 {
		req.Parameters = params
	}
	return req
}

// fragmentState reads the state the loader put in the window's fragment.
func fragmentState() hostState {
	var s hostState
	if u := app.Window().URL(); u != nil && u.Fragment != "" {
		_ = json.Unmarshal([]byte(u.Fragment), &s) // a fragment that is not ours leaves the defaults
	}
	return s
}

// decodeJS reads a JavaScript value the page posted into out, through JSON,
// so only what out declares is taken.
func decodeJS(v app.Value, out any) error {
	text := app.Window().Get("JSON").Call("stringify", v)
	if text.Type() != app.TypeString {
		return json.Unmarshal([]byte("null"), out)
	}
	return json.Unmarshal([]byte(text.String()), out)
}

// theme passes design tokens to the window's boot script, which keeps the
// layers apart: the server's configuration, then the page's theme.
func theme(tokens any, layer string) {
	if f := app.Window().Get("parleyTheme"); f.Truthy() {
		app.Window().Call("parleyTheme", tokens, layer)
	}
}
