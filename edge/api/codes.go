package api

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Codes name every failure that crosses a boundary of Stratus: an edge
// answers a signaling node with one, the signaling node passes it on to the
// page in its error message, and the page words it for the player
// (web/static/js/codes.js, which web's tests check against this table).
// Each code is defined here and nowhere else.
const (
	CodeBadMessage   = "bad_message"   // malformed request or message
	CodeTooLarge     = "too_large"     // a message over its size limit
	CodeUnknownTitle = "unknown_title" // no edge (or not this one) offers the title
	CodeEdgeFull     = "edge_full"     // edges offer the title, none has room now
	CodeQueueTimeout = "queue_timeout" // waited in the queue for room as long as allowed
	CodeNoEdge       = "no_edge"       // no edge at all, or none answered
	CodeNotJoined    = "not_joined"    // a message that needs a session, before join
	CodeNotFound     = "not_found"     // no such session
	CodeDraining     = "draining"      // the edge is going out of service
	CodeUnauthorized = "unauthorized"  // no credentials where they are needed
	CodeForbidden    = "forbidden"     // credentials that do not allow this
	CodeRateLimited  = "rate_limited"  // over a per-client limit; try again later
	CodeInternal     = "internal"      // a fault of Stratus, not of the caller
)

// Codes lists every code with the HTTP status an edge API answer carries
// it with; on the player's WebSocket the code travels alone.
func Codes() []CodeStatus {
	return []CodeStatus{
		{CodeBadMessage, http.StatusBadRequest},
		{CodeTooLarge, http.StatusRequestEntityTooLarge},
		{CodeUnknownTitle, http.StatusNotFound},
		{CodeEdgeFull, http.StatusServiceUnavailable},
		{CodeQueueTimeout, http.StatusServiceUnavailable},
		{CodeNoEdge, http.StatusBadGateway},
		{CodeNotJoined, http.StatusConflict},
		{CodeNotFound, http.StatusNotFound},
		{CodeDraining, http.StatusServiceUnavailable},
		{CodeUnauthorized, http.StatusUnauthorized},
		{CodeForbidden, http.StatusForbidden},
		{CodeRateLimited, http.StatusTooManyRequests},
		{CodeInternal, http.StatusInternalServerError},
	}
}

// CodeStatus pairs a code with its HTTP status.
type CodeStatus struct {
	Code   string
	Status int
}

// StatusOf is the HTTP status of a code; an unknown one is the server's
// fault.
func StatusOf(code string) int {
	for _, c := range Codes() {
		if c.Code == code {
			return c.Status
		}
	}
	return http.StatusInternalServerError
}

// Errorf builds the error for a code, with the status of its table entry.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: StatusOf(code)}
}

// Error is the body of every failed request.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Status is the HTTP status it came with; not on the wire.
	Status int `json:"-"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Write answers a request with e: its status, and its code and message as
// JSON. Errors are never cached.
func (e *Error) Write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(e)
}
