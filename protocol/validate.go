package protocol

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// Limits on what one event may carry. Servers refuse more with [CodeTooLarge];
// clients check the same limits before sending.
const (
	MaxTextBytes      = 16 << 10 // a message's msg or msg_text
	MaxIDBytes        = 256      // msg_id, file_id, form_request_id, party ids
	MaxNameBytes      = 1024     // file names, form names, page titles, display names
	MaxURLBytes       = 4096     // page and map URLs
	MaxFormFields     = 100      // fields in one form answer
	MaxSignalingBytes = 64 << 10 // a call signal's SDP
	MaxFileBytes      = 25 << 20 // an uploaded file, as Bright Pattern's servers take
)

// ValidateClientEvent checks an event a client sent. It returns an *Error
// with [CodeBadRequest] for a missing or malformed field or an event a client
// may not send, and [CodeTooLarge] for a field over its limit.
func ValidateClientEvent(e Event) error {
	if err := checkDecoded(e); err != nil {
		return err
	}
	if !ClientEvents[e.EventType()] {
		return Errorf(CodeBadRequest, "%s is not an event a client may send", e.EventType())
	}
	switch e := e.(type) {
	case *Message:
		return firstError(
			required("msg_id", e.MsgID.String()),
			limit("msg_id", e.MsgID.String(), MaxIDBytes),
			text("msg", e.Msg),
			limit("msg_text", e.MsgText, MaxTextBytes),
		)
	case *File:
		return firstError(
			limit("msg_id", e.MsgID.String(), MaxIDBytes),
			required("file_id", e.FileID),
			limit("file_id", e.FileID, MaxIDBytes),
			limit("file_type", e.FileType, MaxNameBytes),
			limit("file_name", e.FileName, MaxNameBytes),
		)
	case *FormData:
		return formAnswer(e.FormRequestID, e.FormName, e.Data)
	case *SecureFormData:
		return formAnswer(e.FormRequestID, e.FormName, e.Data)
	case *SecureFormCancel:
		return firstError(
			required("form_request_id", e.FormRequestID.String()),
			limit("form_request_id", e.FormRequestID.String(), MaxIDBytes),
			limit("form_name", e.FormName, MaxNameBytes),
		)
	case *Signaling:
		return signaling(e, clientSignals, "a visitor")
	case *Navigation:
		return firstError(
			limit("msg_id", e.MsgID.String(), MaxIDBytes),
			required("page", e.Page),
			limit("page", e.Page, MaxURLBytes),
			limit("title", e.Title, MaxNameBytes),
		)
	case *Location:
		return location(e)
	case *MessageDelivered:
		return receipt(e.RefMsgID)
	case *MessageRead:
		return receipt(e.RefMsgID)
	}
	return nil
}

// ValidateServerEvent checks an event a server, an agent or a scenario is
// about to send, with the same errors as [ValidateClientEvent].
func ValidateServerEvent(e Event) error {
	if err := checkDecoded(e); err != nil {
		return err
	}
	if !ServerEvents[e.EventType()] {
		return Errorf(CodeBadRequest, "%s is not an event a server sends", e.EventType())
	}
	switch e := e.(type) {
	case *Status:
		if !e.State.Known() {
			return Errorf(CodeBadRequest, "state %q is not a chat state", e.State)
		}
	case *PartyJoined:
		switch e.Type {
		case PartyScenario, PartyExternal, PartyInternal:
		default:
			// Both SDKs fail on any other type; an MS Teams user joins as
			// an agent, internal.
			return Errorf(CodeBadRequest, "party type %q is not scenario, external or internal", e.Type)
		}
		return firstError(
			required("party_id", e.PartyID),
			limit("party_id", e.PartyID, MaxIDBytes),
			limit("display_name", e.DisplayName, MaxNameBytes),
			limit("first_name", e.FirstName, MaxNameBytes),
			limit("last_name", e.LastName, MaxNameBytes),
		)
	case *PartyLeft:
		return required("party_id", e.PartyID)
	case *Message:
		return firstError(required("party_id", e.PartyID), text("msg", e.Msg), limit("msg_text", e.MsgText, MaxTextBytes))
	case *Typing:
		return required("party_id", e.PartyID)
	case *NotTyping:
		return required("party_id", e.PartyID)
	case *FormShow:
		return firstError(
			required("form_request_id", e.FormRequestID.String()),
			limit("form_request_id", e.FormRequestID.String(), MaxIDBytes),
			limit("form_name", e.FormName, MaxNameBytes),
		)
	case *SecureFormShow:
		return firstError(
			required("form_request_id", e.FormRequestID.String()),
			required("form_id", e.FormID),
		)
	case *File:
		return firstError(required("party_id", e.PartyID), required("file_id", e.FileID), limit("file_name", e.FileName, MaxNameBytes))
	case *Location:
		return location(e)
	case *Signaling:
		// The visitor answers a signal to the party that sent it.
		return firstError(required("party_id", e.PartyID), signaling(e, serverSignals, "a contact center"))
	case *MessageDelivered:
		return receipt(e.RefMsgID)
	case *MessageRead:
		return receipt(e.RefMsgID)
	case *TimeoutWarning:
		return limit("msg", e.Msg, MaxTextBytes)
	case *InactivityTimeout:
		return limit("msg", e.Msg, MaxTextBytes)
	}
	return nil
}

func checkDecoded(e Event) error {
	if v := reflect.ValueOf(e); !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil() {
		return Errorf(CodeBadRequest, "no event")
	}
	switch e := e.(type) {
	case *Unknown:
		return Errorf(CodeBadRequest, "unknown event type %q", e.Name)
	case *Malformed:
		return Errorf(CodeBadRequest, "%s: %v", e.Name, e.Err)
	}
	return nil
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func required(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return Errorf(CodeBadRequest, "%s is required", field)
	}
	return nil
}

func limit(field, value string, max int) error {
	if len(value) > max {
		return Errorf(CodeTooLarge, "%s is %d bytes, more than the limit of %d", field, len(value), max)
	}
	return nil
}

// text checks a message body: present, not blank, within the limit.
func text(field, value string) error {
	return firstError(required(field, value), limit(field, value, MaxTextBytes))
}

func receipt(ref ID) error {
	return firstError(required("ref_msg_id", ref.String()), limit("ref_msg_id", ref.String(), MaxIDBytes))
}

func formAnswer(requestID ID, name string, data FormValues) error {
	if err := firstError(
		required("form_request_id", requestID.String()),
		limit("form_request_id", requestID.String(), MaxIDBytes),
		limit("form_name", name, MaxNameBytes),
		limit("data", data.Note, MaxTextBytes),
	); err != nil {
		return err
	}
	if len(data.Fields) > MaxFormFields {
		return Errorf(CodeTooLarge, "data has %d fields, more than the limit of %d", len(data.Fields), MaxFormFields)
	}
	for field, value := range data.Fields {
		if err := firstError(limit("a data field name", field, MaxNameBytes), limit("data."+field, value, MaxTextBytes)); err != nil {
			return err
		}
	}
	return nil
}

// decimal is a coordinate as every client parses it: no hex, no NaN.
var decimal = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

func location(l *Location) error {
	if err := firstError(
		limit("url", l.URL, MaxURLBytes),
		limit("msg_id", l.MsgID.String(), MaxIDBytes),
		// Both SDKs require the coordinates, and every client sends them.
		required("latitude", l.Latitude),
		required("longitude", l.Longitude),
	); err != nil {
		return err
	}
	lat, errLat := strconv.ParseFloat(l.Latitude, 64)
	lon, errLon := strconv.ParseFloat(l.Longitude, 64)
	if errLat != nil || errLon != nil || !decimal.MatchString(l.Latitude) || !decimal.MatchString(l.Longitude) ||
		lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return Errorf(CodeBadRequest, "coordinates %q, %q are not a position on Earth", l.Latitude, l.Longitude)
	}
	return nil
}
