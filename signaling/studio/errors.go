package studio

import (
	"errors"
	"net/http"
)

// Error is a refusal by the Store or the API. Code is the API's error code
// and Status its HTTP status, so that the handler maps a Store error to a
// response without a table that could drift from the errors themselves.
type Error struct {
	Code   string
	Status int
	msg    string
}

func (e *Error) Error() string { return "studio: " + e.msg }

// The Store's refusals. They are returned wrapped with the title id; test
// with errors.Is.
var (
	// ErrNotFound: no title has that id.
	ErrNotFound = &Error{Code: "not_found", Status: http.StatusNotFound, msg: "no such title"}
	// ErrForbidden: the title belongs to another studio. Its contents are
	// never revealed, only that it is not the caller's.
	ErrForbidden = &Error{Code: "forbidden", Status: http.StatusForbidden, msg: "title belongs to another studio"}
	// ErrTaken: Create with an id that exists, whoever owns it. Ids name
	// titles for players across all studios, so they are never reused,
	// not even after a retirement.
	ErrTaken = &Error{Code: "id_taken", Status: http.StatusConflict, msg: "title id is taken"}
	// ErrSameVersion: Update with the version already current.
	ErrSameVersion = &Error{Code: "same_version", Status: http.StatusConflict, msg: "version is already the current one"}
	// ErrRetired: Update of a retired title.
	ErrRetired = &Error{Code: "retired", Status: http.StatusConflict, msg: "title is retired"}
	// ErrClosed: the Store was closed.
	ErrClosed = &Error{Code: "unavailable", Status: http.StatusServiceUnavailable, msg: "store closed"}
)

// asError returns err's *Error, if it wraps one.
func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
