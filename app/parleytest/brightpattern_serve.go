package parleytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/parleychat/parley/protocol"
)

// route is one API method: the fake calls handle after the checks every
// method shares.
type route struct {
	api    APIMethod
	handle func(http.ResponseWriter, *http.Request, *call)
	// noTenant says tenantUrl may be left out, as the documents' examples
	// of Get File and Get Agent Profile Photo do.
	noTenant bool
}

// ServeHTTP runs the route with the call serve put in the context.
func (rt route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.handle(w, r, r.Context().Value(callKey{}).(*call))
}

type callKey struct{}

// call is what serve learned about a request before its method handles it.
type call struct {
	rec   *BrightPatternRequest
	creds protocol.Credentials
	// faults are the faults that spoil the request (FaultDuplicate aside).
	faults []Fault
}

func (bp *BrightPattern) routes() {
	bp.mux = http.NewServeMux()
	add := func(pattern string, rt route) { bp.mux.Handle(strings.Replace(pattern, " ", " "+bp.prefix, 1), rt) }
	add("GET availability", route{api: MethodCheckAvailability, handle: bp.availability})
	add("GET parameters", route{api: MethodExpectedParameters, handle: bp.parameters})
	add("POST chats", route{api: MethodRequestChat, handle: bp.requestChat})
	add("GET chats/active", route{api: MethodActiveChat, handle: bp.activeChat})
	add("POST chats/{chatId}/events", route{api: MethodSendEvents, handle: bp.sendEvents})
	add("GET chats/{chatId}/events", route{api: MethodGetNewChatEvents, handle: bp.getNewChatEvents})
	add("GET chats/{chatId}/history", route{api: MethodChatHistory, handle: bp.history})
	add("POST files", route{api: MethodUploadFile, handle: bp.uploadFile})
	add("GET chats/{chatId}/files/{fileId}", route{api: MethodGetFile, handle: bp.getFile, noTenant: true})
	add("GET chats/{chatId}/profilephotos/{partyId}", route{api: MethodProfilePhoto, handle: bp.profilePhoto, noTenant: true})
	if bp.cfg.Version == 2 {
		add("GET configuration", route{api: MethodWidgetConfig, handle: bp.configuration})
		add("GET version", route{api: MethodVersion, handle: bp.version})
		add("GET iceservers", route{api: MethodICEServers, handle: bp.iceServers})
		add("POST chats/{chatId}/notifications", route{api: MethodNotifications, handle: bp.notifications})
		add("GET chats/{chatId}/casehistory", route{api: MethodCaseHistory, handle: bp.caseHistory})
		add("POST chats/{chatId}/closecase", route{api: MethodCloseCase, handle: bp.closeCase})
	}
}

// maxBody bounds what the fake reads of a request: a whole upload and its
// multipart framing.
const maxBody = protocol.MaxFileBytes + 1<<20

// serve records the request, applies the faults that come before an answer
// and the checks every method shares, then hands it to its method.
func (bp *BrightPattern) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return // the client left while sending
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	handler, _ := bp.mux.Handler(r)
	rt, isAPI := handler.(route)
	rec := &BrightPatternRequest{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(),
		Body: body, API: rt.api, ChatID: bp.chatIDOf(r.URL.Path),
	}
	bp.mu.Lock()
	bp.requests = append(bp.requests, rec)
	var faults []Fault
	if isAPI {
		faults = bp.takeFaults(rec)
	}
	bp.touch()
	bp.mu.Unlock()

	sw := &statusWriter{ResponseWriter: w, bp: bp, rec: rec}
	if !isAPI {
		handler.ServeHTTP(sw, r)
		return
	}
	c := &call{rec: rec, faults: faults}
	if !bp.misbehaveBefore(sw, r, c) {
		return
	}
	if len(body) > maxBody {
		if rt.api == MethodUploadFile {
			bp.fail(sw, c, protocol.CodeUploadTooLarge, "the file is over %d bytes", protocol.MaxFileBytes)
		} else {
			bp.fail(sw, c, protocol.CodeBadRequest, "the request body is too large")
		}
		return
	}
	if err := bp.check(r, rt, c); err != nil {
		bp.fail(sw, c, err.Code, "%s", err.Message)
		return
	}
	bp.mux.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), callKey{}, c)))
}

// chatIDOf is the {chatId} segment of an API path, or "".
func (bp *BrightPattern) chatIDOf(path string) string {
	rest, ok := strings.CutPrefix(path, bp.prefix+"chats/")
	if !ok {
		return ""
	}
	id, _, found := strings.Cut(rest, "/")
	if !found {
		return ""
	}
	return id
}

// check applies what the documents ask of every request: a tenantUrl that
// names the tenant, the Authorization header with a known appId, and a
// Content-Type that says what a body is.
func (bp *BrightPattern) check(r *http.Request, rt route, c *call) *protocol.Error {
	tenant, given := r.URL.Query()["tenantUrl"]
	switch {
	case !given && rt.noTenant:
	case !given:
		return protocol.Errorf(protocol.CodeTenantURL, "tenantUrl is missing")
	case !bp.isTenant(tenant[0]):
		return protocol.Errorf(protocol.CodeTenantURL, "tenantUrl %q is not this tenant", tenant[0])
	}
	creds, err := protocol.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		var perr *protocol.Error
		if !errors.As(err, &perr) {
			perr = protocol.Errorf(protocol.CodeAuthFormat, "%v", err)
		}
		return perr
	}
	if !slices.Contains(bp.cfg.AppIDs, creds.AppID) {
		return protocol.Errorf(protocol.CodeAppID, "appId %q is not a launch point of this tenant", creds.AppID)
	}
	c.creds = creds
	if len(c.rec.Body) == 0 {
		return nil
	}
	want := "application/json"
	if rt.api == MethodUploadFile {
		want = "multipart/form-data"
	}
	if media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || media != want {
		return protocol.Errorf(protocol.CodeBadRequest, "the body must be %s, not %q", want, r.Header.Get("Content-Type"))
	}
	return nil
}

// isTenant reports whether a tenantUrl names the tenant: its bare host, or a
// URL of it.
func (bp *BrightPattern) isTenant(value string) bool {
	if strings.EqualFold(value, bp.cfg.TenantURL) {
		return true
	}
	u, err := url.Parse(value)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, bp.cfg.TenantURL)
}

// statusWriter records the status of an answer as its head is written,
// before the client can have it.
type statusWriter struct {
	http.ResponseWriter
	bp    *BrightPattern
	rec   *BrightPatternRequest
	wrote bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wrote {
		w.wrote = true
		w.bp.mu.Lock()
		w.rec.Status = status
		w.bp.touch()
		w.bp.mu.Unlock()
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// reply writes an answer, changed by the faults of the answer, and reports
// whether the client was given all of it.
func (bp *BrightPattern) reply(w http.ResponseWriter, c *call, status int, contentType string, body []byte) bool {
	drop := false
	for _, f := range c.faults {
		switch f.Kind {
		case FaultEmptyBody:
			if status == http.StatusOK {
				body = nil
			}
		case FaultSwapTypes:
			if strings.HasPrefix(contentType, "application/json") {
				body = swapTypes(body)
			}
		case FaultDrop:
			drop = true
		}
	}
	if drop {
		bp.mu.Lock()
		c.rec.Dropped = true
		bp.touch()
		bp.mu.Unlock()
		if len(body) >= 2 {
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(status)
			_, _ = w.Write(body[:len(body)/2])
			_ = http.NewResponseController(w).Flush()
		}
		panic(http.ErrAbortHandler) // net/http closes the connection, and says nothing
	}
	if len(body) > 0 {
		w.Header().Set("Content-Type", contentType)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err := w.Write(body)
	if err == nil {
		err = http.NewResponseController(w).Flush()
	}
	return err == nil
}

// replyJSON answers 200 with v encoded as JSON.
func (bp *BrightPattern) replyJSON(w http.ResponseWriter, c *call, v any) bool {
	body, err := json.Marshal(v)
	if err != nil {
		bp.tb.Errorf("fake Bright Pattern: encoding an answer: %v", err)
		bp.fail(w, c, protocol.CodeInternal, "encoding the answer failed")
		return false
	}
	return bp.reply(w, c, http.StatusOK, "application/json", body)
}

// fail answers with the error envelope, with the code's status.
func (bp *BrightPattern) fail(w http.ResponseWriter, c *call, code protocol.Code, format string, args ...any) {
	status := code.HTTPStatus()
	if code == protocol.CodeConcurrentPoll && bp.cfg.Version == 1 {
		status = http.StatusBadRequest // the v1 documents' answer to a second poll
	}
	body, _ := json.Marshal(protocol.Errorf(code, format, args...))
	bp.reply(w, c, status, "application/json", body)
}

// ownChat returns the chat if it belongs to the caller; a chat of another
// client is as unknown as one that never existed. The caller holds mu.
func (bp *BrightPattern) ownChat(c *call, id string) *BrightPatternChat {
	chat := bp.chatLocked(id)
	if chat == nil || chat.owner != c.creds {
		return nil
	}
	return chat
}

func (bp *BrightPattern) chatLocked(id string) *BrightPatternChat {
	for _, c := range bp.chats {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (bp *BrightPattern) fileLocked(id string) *BrightPatternFile {
	for _, f := range bp.files {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// keepFile stores a file, forgetting the oldest beyond MaxFiles. The caller
// holds mu.
func (bp *BrightPattern) keepFile(f *BrightPatternFile) {
	bp.files = append(bp.files, f)
	if extra := len(bp.files) - bp.cfg.MaxFiles; extra > 0 {
		bp.files = slices.Delete(bp.files, 0, extra)
	}
}
