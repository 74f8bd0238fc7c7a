package server

import (
	"context"
	"errors"
	"time"

	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
)

// Tenant is what the server asks of the contact center besides its chats:
// whether it takes chats now, the widget configuration, and its agents'
// photos. The embedded contact center answers from its configuration; the
// upstream bridge asks the operator's Bright Pattern tenant.
type Tenant interface {
	// Availability is Check Availability's answer.
	Availability(ctx context.Context) (protocol.Availability, error)
	// Configuration is Get Chat Widget Configuration's answer.
	Configuration(ctx context.Context) (protocol.WidgetConfiguration, error)
	// ProfilePhoto returns the photo of an agent of the chat and its
	// Content-Type, a raster image; an error when there is none to give,
	// and the server draws one.
	ProfilePhoto(ctx context.Context, chatID, partyID string) (contentType string, photo []byte, err error)
}

// configured is the embedded contact center as a Tenant: its business
// hours, its configuration, and no photos.
type configured struct{ contact scenario.Config }

var errNoPhoto = errors.New("the contact center has no photos")

func (c configured) Availability(context.Context) (protocol.Availability, error) {
	if c.contact.Hours.Open(time.Now()) {
		return protocol.Availability{Chat: protocol.Available, EWT: c.contact.EWT}, nil
	}
	return protocol.Availability{Chat: protocol.NotAvailable}, nil
}

func (c configured) Configuration(context.Context) (protocol.WidgetConfiguration, error) {
	return c.contact.WidgetConfiguration(), nil
}

func (c configured) ProfilePhoto(context.Context, string, string) (string, []byte, error) {
	return "", nil, errNoPhoto
}
