package protocol

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Code is an error code of the API's error envelope. It travels as a string.
type Code string

// Error codes of the Bright Pattern API, as its SDKs describe them.
const (
	CodeTenantURL         Code = "1000" // missing or invalid tenantUrl
	CodeAuthMissing       Code = "2000" // Authorization header is missing
	CodeAuthFormat        Code = "2001" // Authorization parameters are malformed
	CodeAuthScheme        Code = "2002" // Authorization scheme is not the API's
	CodeAuthAppID         Code = "2003" // Authorization has no appId
	CodeAuthClientID      Code = "2004" // Authorization has no clientId
	CodeAppID             Code = "3000" // appId is not a known launch point
	CodeServerTimeout     Code = "5000" // chat server takes too long to respond
	CodeNoServer          Code = "5001" // no server can accept the chat
	CodeBadRequest        Code = "5003" // the request body cannot be decoded or is invalid
	CodeServerGone        Code = "5004" // chat server disconnected
	CodeChatNotFound      Code = "5005" // no such chat, or it has ended
	CodeLaunchPoint       Code = "5006" // launch point not found
	CodeInternal          Code = "5500" // internal server error
	CodeUploadTooLarge    Code = "5501" // upload size limit exceeded
	CodeFileNotFound      Code = "5502" // no such file
	CodeConcurrentPoll    Code = "5509" // another poll is waiting on this chat
	CodeNoEvents          Code = "5511" // no events
	CodeFileIO            Code = "5558" // file I/O error
	CodeCaseNotSet        Code = "5601" // case history asked before a case was set
	CodeCRM               Code = "5602" // CRM server error
	CodeTooManyParameters Code = "5603" // e.g. both APNs and Firebase tokens
	CodeUnspecified       Code = "5955" // unspecified server error
)

// Error codes Parley adds where the API has none.
const (
	CodeTooLarge    Code = "7001" // a message, event or request body is over its limit
	CodeRateLimited Code = "7002" // too many events or uploads in too short a time
	CodeForbidden   Code = "7003" // the request's origin or token is not allowed
	CodeTaken       Code = "7004" // another agent has the chat
	CodeNoMethod    Code = "7005" // no API method at this path
	CodeWrongMethod Code = "7006" // the path takes other HTTP methods
	CodeUnavailable Code = "7007" // the server cannot reach its database, or its disk refuses writes, for now; try again
	CodeFileType    Code = "7008" // a file is not of a kind the chat takes
)

// statusOf is the one table from error code to HTTP status. The documents
// give statuses only per method (400, 401, 404); the rest follow HTTP's
// meaning of each failure.
var statusOf = map[Code]int{
	CodeTenantURL:         http.StatusBadRequest,
	CodeAuthMissing:       http.StatusUnauthorized,
	CodeAuthFormat:        http.StatusUnauthorized,
	CodeAuthScheme:        http.StatusUnauthorized,
	CodeAuthAppID:         http.StatusUnauthorized,
	CodeAuthClientID:      http.StatusUnauthorized,
	CodeAppID:             http.StatusUnauthorized,
	CodeServerTimeout:     http.StatusGatewayTimeout,
	CodeNoServer:          http.StatusServiceUnavailable,
	CodeBadRequest:        http.StatusBadRequest,
	CodeServerGone:        http.StatusBadGateway,
	CodeChatNotFound:      http.StatusNotFound,
	CodeLaunchPoint:       http.StatusNotFound,
	CodeInternal:          http.StatusInternalServerError,
	CodeUploadTooLarge:    http.StatusRequestEntityTooLarge,
	CodeFileNotFound:      http.StatusNotFound,
	CodeConcurrentPoll:    http.StatusTooManyRequests,
	CodeNoEvents:          http.StatusNotFound,
	CodeFileIO:            http.StatusInternalServerError,
	CodeCaseNotSet:        http.StatusBadRequest,
	CodeCRM:               http.StatusBadGateway,
	CodeTooManyParameters: http.StatusBadRequest,
	CodeUnspecified:       http.StatusInternalServerError,
	CodeTooLarge:          http.StatusRequestEntityTooLarge,
	CodeRateLimited:       http.StatusTooManyRequests,
	CodeForbidden:         http.StatusForbidden,
	CodeTaken:             http.StatusConflict,
	CodeNoMethod:          http.StatusNotFound,
	CodeWrongMethod:       http.StatusMethodNotAllowed,
	CodeUnavailable:       http.StatusServiceUnavailable,
	CodeFileType:          http.StatusUnsupportedMediaType,
}

// HTTPStatus is the HTTP status that goes with the code; 500 for a code the
// table does not know.
func (c Code) HTTPStatus() int {
	if status, ok := statusOf[c]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// UnmarshalJSON accepts the code as a string, as the SDKs expect, or as the
// number the documents' placeholder suggests.
func (c *Code) UnmarshalJSON(data []byte) error {
	text, ok := idText(data)
	if !ok {
		return fmt.Errorf("an error code must be a string or a number, not %.20s", data)
	}
	*c = Code(text)
	return nil
}

// Error is the API's error envelope:
//
//	{"error_code":"5003","error_message":"..."}
type Error struct {
	Code    Code   `json:"error_code"`
	Message string `json:"error_message"`
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string { return e.Message + " (error " + string(e.Code) + ")" }

// HTTPStatus is the status to answer the error with.
func (e *Error) HTTPStatus() int { return e.Code.HTTPStatus() }

// DecodeError reads an error envelope, such as the body of a failed request.
// It returns nil when data is not one.
func DecodeError(data []byte) *Error {
	var e Error
	if json.Unmarshal(data, &e) != nil || e.Code == "" {
		return nil
	}
	return &e
}
