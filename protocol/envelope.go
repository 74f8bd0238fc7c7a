package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Envelope is the body that carries events in both directions:
//
//	{"events":[{"event":"chat_session_message", ...}, ...]}
//
// Parley's WebSocket frames are envelopes too, with three optional fields that
// Bright Pattern clients never see:
//   - Ref names a client frame; the server answers each frame that has one
//     with a frame carrying the same Ref, and Error set if it refused it.
//   - Epoch, from the server, names the chat's stream (see [Position]).
//   - Error is the refusal, written inline as error_code and error_message.
type Envelope struct {
	Events []Event
	Ref    string
	Epoch  string
	Error  *Error
}

type envelopeJSON struct {
	Events  []json.RawMessage `json:"events"`
	Ref     string            `json:"ref,omitempty"`
	Epoch   string            `json:"epoch,omitempty"`
	Code    Code              `json:"error_code,omitempty"`
	Message string            `json:"error_message,omitempty"`
}

// EncodeEnvelope encodes events as {"events":[...]}.
func EncodeEnvelope(events ...Event) ([]byte, error) {
	return json.Marshal(Envelope{Events: events})
}

// DecodeEnvelope decodes {"events":[...]}. It fails only when data is not
// such an object, an element of events is not an object with an "event"
// name, or a string outside the events is not UTF-8 text (see [CheckText]):
// one odd event does not cost the others (see [Unknown], [Malformed]).
// An empty body decodes as no events, since servers answer Send Events with
// an empty 200.
func DecodeEnvelope(data []byte) (Envelope, error) {
	var env Envelope
	err := env.UnmarshalJSON(data)
	return env, err
}

// MarshalJSON writes the envelope; events is never null.
func (e Envelope) MarshalJSON() ([]byte, error) {
	out := envelopeJSON{Events: make([]json.RawMessage, 0, len(e.Events)), Ref: e.Ref, Epoch: e.Epoch}
	for _, ev := range e.Events {
		raw, err := MarshalEvent(ev)
		if err != nil {
			return nil, err
		}
		out.Events = append(out.Events, raw)
	}
	if e.Error != nil {
		out.Code, out.Message = e.Error.Code, e.Error.Message
	}
	return json.Marshal(out)
}

// EncodeEncodedEvents writes {"events":[...],"epoch":"..."} from events
// each already encoded by [MarshalEvent], in order: for a writer that
// sizes a frame by its events' bytes before it writes it. events may be
// empty (a delivery that only names the epoch); epoch "" is left out.
func EncodeEncodedEvents(events []json.RawMessage, epoch string) ([]byte, error) {
	if events == nil {
		events = []json.RawMessage{}
	}
	return json.Marshal(envelopeJSON{Events: events, Epoch: epoch})
}

// UnmarshalJSON reads an envelope as [DecodeEnvelope] describes.
func (e *Envelope) UnmarshalJSON(data []byte) error {
	*e = Envelope{}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var in envelopeJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return Errorf(CodeBadRequest, "the body is not an events envelope: %v", err)
	}
	// The events' own text is theirs to refuse (see UnmarshalEvent), so one
	// odd event does not cost the others.
	if path, problem, found := badText(data, func(path string) bool { return strings.HasPrefix(path, "events[") }); found {
		return Errorf(CodeBadRequest, "%v", notText(path, problem))
	}
	e.Ref, e.Epoch = in.Ref, in.Epoch
	if in.Code != "" {
		e.Error = &Error{Code: in.Code, Message: in.Message}
	}
	e.Events = make([]Event, 0, len(in.Events))
	for i, raw := range in.Events {
		ev, err := UnmarshalEvent(raw)
		if err != nil {
			return Errorf(CodeBadRequest, "events[%d]: %v", i, err)
		}
		e.Events = append(e.Events, ev)
	}
	return nil
}

// Position is a place in a chat's stream of stored events: the last sequence
// number a client has seen, in the stream named by Epoch. A server that no
// longer has the stream a client saw gives it a new epoch, so the client knows
// to start over instead of resuming from a number that now means something
// else.
//
// Signal, a Parley extension, is the last call signal the client has seen
// (its [Signaling.SignalSeq]): a server that holds signals for a client
// that was away hands it those after Signal.
type Position struct {
	Epoch  string
	Seq    uint64
	Signal uint64
}

// String shows the position as epoch:seq.
func (p Position) String() string { return fmt.Sprintf("%s:%d", p.Epoch, p.Seq) }
