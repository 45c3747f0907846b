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
	// ErrReserved: Create or Update of an id that no studio may take, a
	// built-in title's or one the operator reserved. 403 rather than
	// id_taken's 409: nothing a studio can do makes the id available, and
	// its own code lets the tools say so.
	ErrReserved = &Error{Code: "reserved_id", Status: http.StatusForbidden, msg: "title id is reserved: a built-in title's or the operator's, no studio may use it"}
	// ErrTitleQuota: Create past Limits.MaxTitles. 403, not 429: waiting
	// does not help, nor does retiring (retired titles count), so the
	// studio must ask the operator for a higher limit.
	ErrTitleQuota = &Error{Code: "quota_exceeded", Status: http.StatusForbidden, msg: "the studio holds the most titles allowed (max titles per studio)"}
	// ErrVersionQuota: Update past Limits.MaxVersions; 403 as above.
	ErrVersionQuota = &Error{Code: "quota_exceeded", Status: http.StatusForbidden, msg: "the title has published the most versions allowed (max versions per title)"}
	// ErrClosed: the Store was closed.
	ErrClosed = &Error{Code: "unavailable", Status: http.StatusServiceUnavailable, msg: "store closed"}
)

// asError returns err's *Error, if it wraps one.
func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
