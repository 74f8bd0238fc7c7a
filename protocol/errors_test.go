package protocol_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/parleychat/parley/protocol"
)

// codeOf is the code of err when it is (or wraps) an *protocol.Error, and ""
// otherwise, so tables can compare codes and never messages.
func codeOf(err error) protocol.Code {
	var e *protocol.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// statusCases is the expected status of every code. The statuses follow the
// API notes where they say anything (400, 401, 404, 429 for a second poll)
// and HTTP's meaning of each failure otherwise.
var statusCases = []struct {
	name   string
	code   protocol.Code
	status int
}{
	{"tenant url", protocol.CodeTenantURL, http.StatusBadRequest},
	{"auth missing", protocol.CodeAuthMissing, http.StatusUnauthorized},
	{"auth format", protocol.CodeAuthFormat, http.StatusUnauthorized},
	{"auth scheme", protocol.CodeAuthScheme, http.StatusUnauthorized},
	{"auth app id", protocol.CodeAuthAppID, http.StatusUnauthorized},
	{"auth client id", protocol.CodeAuthClientID, http.StatusUnauthorized},
	{"app id", protocol.CodeAppID, http.StatusUnauthorized},
	{"server timeout", protocol.CodeServerTimeout, http.StatusGatewayTimeout},
	{"no server", protocol.CodeNoServer, http.StatusServiceUnavailable},
	{"bad request", protocol.CodeBadRequest, http.StatusBadRequest},
	{"server gone", protocol.CodeServerGone, http.StatusBadGateway},
	{"chat not found", protocol.CodeChatNotFound, http.StatusNotFound},
	{"launch point", protocol.CodeLaunchPoint, http.StatusNotFound},
	{"internal", protocol.CodeInternal, http.StatusInternalServerError},
	{"upload too large", protocol.CodeUploadTooLarge, http.StatusRequestEntityTooLarge},
	{"file not found", protocol.CodeFileNotFound, http.StatusNotFound},
	{"concurrent poll", protocol.CodeConcurrentPoll, http.StatusTooManyRequests},
	{"no events", protocol.CodeNoEvents, http.StatusNotFound},
	{"file io", protocol.CodeFileIO, http.StatusInternalServerError},
	{"case not set", protocol.CodeCaseNotSet, http.StatusBadRequest},
	{"crm", protocol.CodeCRM, http.StatusBadGateway},
	{"too many parameters", protocol.CodeTooManyParameters, http.StatusBadRequest},
	{"unspecified", protocol.CodeUnspecified, http.StatusInternalServerError},
	{"too large", protocol.CodeTooLarge, http.StatusRequestEntityTooLarge},
	{"rate limited", protocol.CodeRateLimited, http.StatusTooManyRequests},
	{"forbidden", protocol.CodeForbidden, http.StatusForbidden},
	{"taken", protocol.CodeTaken, http.StatusConflict},
	{"no method", protocol.CodeNoMethod, http.StatusNotFound},
	{"wrong method", protocol.CodeWrongMethod, http.StatusMethodNotAllowed},
	{"unavailable", protocol.CodeUnavailable, http.StatusServiceUnavailable},
	{"file type", protocol.CodeFileType, http.StatusUnsupportedMediaType},
	{"unknown code", protocol.Code("9999"), http.StatusInternalServerError},
	{"empty code", protocol.Code(""), http.StatusInternalServerError},
}

func TestCodeHTTPStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range statusCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, want := tc.code.HTTPStatus(), tc.status; got != want {
				t.Errorf("Code(%q).HTTPStatus() = %d, want %d", tc.code, got, want)
			}
			if got, want := protocol.Errorf(tc.code, "x").HTTPStatus(), tc.status; got != want {
				t.Errorf("Error{Code: %q}.HTTPStatus() = %d, want %d", tc.code, got, want)
			}
		})
	}
}

// TestEveryCodeHasAStatusRow reads errors.go so that a code added there
// without a row in statusCases fails here instead of silently mapping to 500.
func TestEveryCodeHasAStatusRow(t *testing.T) {
	t.Parallel()
	file, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatalf("parsing errors.go: %v", err)
	}
	covered := map[protocol.Code]bool{}
	for _, tc := range statusCases {
		covered[tc.code] = true
	}
	declared := 0
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			if ident, ok := vs.Type.(*ast.Ident); !ok || ident.Name != "Code" {
				continue
			}
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Errorf("%s is not a literal", name.Name)
					continue
				}
				value, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Errorf("%s: %v", name.Name, err)
					continue
				}
				declared++
				if !covered[protocol.Code(value)] {
					t.Errorf("%s (%s) has no row in statusCases", name.Name, value)
				}
				// A declared code must be in the package's table, not fall
				// through to the default 500 by accident.
				if status := protocol.Code(value).HTTPStatus(); status < 400 || status > 599 {
					t.Errorf("%s maps to %d, not an error status", name.Name, status)
				}
			}
		}
	}
	if got, want := declared, len(statusCases)-2; got != want {
		t.Errorf("errors.go declares %d codes, statusCases has %d rows for declared codes", got, want)
	}
}

func TestErrorMessageCarriesTheCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *protocol.Error
		code string
	}{
		{"bad request", protocol.Errorf(protocol.CodeBadRequest, "no events"), "5003"},
		{"chat not found", protocol.Errorf(protocol.CodeChatNotFound, "chat %s ended", "c1"), "5005"},
		{"empty message", &protocol.Error{Code: protocol.CodeInternal}, "5500"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.err.Error(); !strings.Contains(got, tc.code) {
				t.Errorf("Error() = %q, want it to contain the code %s", got, tc.code)
			}
		})
	}
}

func TestErrorf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		err     *protocol.Error
		code    protocol.Code
		message string
	}{
		{"verbs", protocol.Errorf(protocol.CodeTooLarge, "msg is %d bytes, over %d", 20000, 16384), protocol.CodeTooLarge, "msg is 20000 bytes, over 16384"},
		{"no args", protocol.Errorf(protocol.CodeNoEvents, "no events"), protocol.CodeNoEvents, "no events"},
		{"quoted", protocol.Errorf(protocol.CodeBadRequest, "state %q", "waiting"), protocol.CodeBadRequest, `state "waiting"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, want := tc.err.Code, tc.code; got != want {
				t.Errorf("Code = %q, want %q", got, want)
			}
			if got, want := tc.err.Message, tc.message; got != want {
				t.Errorf("Message = %q, want %q", got, want)
			}
		})
	}
}

// TestErrorSurvivesWrapping matters because servers wrap validation errors
// with context before choosing the status to answer with.
func TestErrorSurvivesWrapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want protocol.Code
	}{
		{"bare", protocol.Errorf(protocol.CodeChatNotFound, "gone"), protocol.CodeChatNotFound},
		{"wrapped", fmt.Errorf("send events: %w", protocol.Errorf(protocol.CodeTooLarge, "big")), protocol.CodeTooLarge},
		{"plain error", errors.New("boom"), ""},
		{"nil", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, want := codeOf(tc.err), tc.want; got != want {
				t.Errorf("code = %q, want %q", got, want)
			}
		})
	}
}
