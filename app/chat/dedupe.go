package chat

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"math"
	mathrand "math/rand/v2"
	"strconv"

	"github.com/parleychat/parley/protocol"
)

// noMsgID is the msg_id the Android SDK sends for every message when the app
// gives none (Kotlin's text for a null UUID): it names no message, so two
// such messages are never taken for one.
const noMsgID = "null"

// DedupeKey names what makes an event the same as one already stored: its
// sender sending the same msg_id with the same content again, the same
// answer to a form request again, a party's receipt for the same message
// again. A different event that reuses a msg_id has another key, and is
// stored too; "" says nothing makes the event the same as another. The
// upstream bridge's outbox takes a visitor's event by the same rule.
func DedupeKey(e protocol.Event) string {
	party := e.EventMeta().PartyID
	switch e := e.(type) {
	case *protocol.MessageDelivered:
		return "delivered\x00" + party + "\x00" + e.RefMsgID.String()
	case *protocol.MessageRead:
		return "read\x00" + party + "\x00" + e.RefMsgID.String()
	case *protocol.FormData:
		return "form\x00" + e.FormRequestID.String() + "\x00" + contentHash(e)
	case *protocol.SecureFormData:
		return "form\x00" + e.FormRequestID.String() + "\x00" + contentHash(e)
	case *protocol.SecureFormCancel:
		return "form\x00" + e.FormRequestID.String() + "\x00" + contentHash(e)
	}
	if id := protocol.MsgIDOf(e); id != nil && !id.IsZero() && id.String() != noMsgID {
		return "msg\x00" + party + "\x00" + id.String() + "\x00" + contentHash(e)
	}
	return ""
}

// contentHash digests what an event says, without who sent it and when.
func contentHash(e protocol.Event) string {
	meta := e.EventMeta()
	saved := *meta
	*meta = protocol.Meta{}
	data, err := protocol.MarshalEvent(e)
	*meta = saved
	if err != nil {
		// Validated events always encode; an event that does not is
		// taken for new.
		data = []byte(rand.Text())
	}
	sum := sha256.Sum256(data)
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// formRequestID returns id if the Android SDK reads it as its form_request_id,
// a 32-bit integer, written as a JSON number; else a random one it reads.
func formRequestID(id protocol.ID) protocol.ID {
	if n, err := strconv.ParseUint(id.String(), 10, 31); err == nil && n > 0 {
		return protocol.NumberID(n)
	}
	return protocol.NumberID(1 + mathrand.Uint64N(math.MaxInt32))
}
