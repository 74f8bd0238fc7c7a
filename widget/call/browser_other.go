//go:build !js

package call

import "github.com/parleychat/parley/protocol"

// Browser is the browser's media; a Go program outside the browser has
// none, and declines every call with ErrNoMedia.
func Browser([]protocol.ICEServer, func(PeerEvent)) (Peer, error) { return nil, ErrNoMedia }
