package upstream

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// Availability is Check Availability, asked of the tenant.
func (b *Bridge) Availability(ctx context.Context) (protocol.Availability, error) {
	av, err := b.client.Availability(ctx, b.launchPoint)
	if err != nil {
		return protocol.Availability{}, tenantError(err)
	}
	return av, nil
}

// Configuration is the tenant's widget configuration (Get Chat Widget
// Configuration), kept for ConfigTTL. While the tenant gives none (it
// cannot be reached, or speaks API v1), the last it gave, or the fallback.
func (b *Bridge) Configuration(ctx context.Context) (protocol.WidgetConfiguration, error) {
	b.mu.Lock()
	cfg, at := b.config, b.configAt
	b.mu.Unlock()
	if b.client.Version() < 2 {
		return b.fallback, nil
	}
	if !at.IsZero() && time.Since(at) < b.ConfigTTL {
		return cfg, nil
	}
	fresh, err := b.client.Configuration(ctx, b.launchPoint)
	if err != nil {
		b.Log.Warn("the tenant's widget configuration could not be read; serving the last one", "err", err)
		if at.IsZero() {
			return b.fallback, nil
		}
		return cfg, nil
	}
	b.mu.Lock()
	b.config, b.configAt = fresh, time.Now()
	b.mu.Unlock()
	return fresh, nil
}

// ProfilePhoto is an agent's photo from the tenant (Get Agent Profile
// Photo), as the chat's visitor asks for it; only a raster image is
// handed on. It fails when there is none to give: the server draws one.
func (b *Bridge) ProfilePhoto(ctx context.Context, chatID, partyID string) (string, []byte, error) {
	up, err := b.store.Upstream(ctx, chatID)
	if err != nil {
		return "", nil, err
	}
	_, photo, err := b.client.ProfilePhoto(ctx, up.ClientID, up.UpstreamID, partyID)
	if err != nil {
		return "", nil, err
	}
	contentType := http.DetectContentType(photo)
	if !chat.IsImage(contentType) {
		return "", nil, fmt.Errorf("upstream: the photo of %s is %s, not an image", partyID, contentType)
	}
	return contentType, photo, nil
}
