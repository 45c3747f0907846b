package studio

import (
	"fmt"
	"strings"
)

// Path prefixes of the API.
const (
	// Prefix is where Handler expects to be mounted.
	Prefix = "/v1/studio/"
	// TitlesPath lists and creates titles; TitlesPath + "/" + id is one.
	TitlesPath = "/v1/studio/titles"
)

// MaxBody bounds a request body, and so the max manifest bytes: a manifest
// is a few KiB at most, and the catalog every edge replicates holds them
// all.
const MaxBody = 64 << 10

// APIError is the body of every error response, and what Client returns
// for one.
type APIError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Problems lists a rejected manifest's problems, each with its field.
	Problems []Problem `json:"problems,omitempty"`
	// Status is the HTTP status it came with; not on the wire.
	Status int `json:"-"`
}

// Problem is one problem with one manifest field.
type Problem struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

// Error puts each problem on its own line, field first, as
// manifest.ValidationError does.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Code, e.Message)
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s: %s", p.Field, p.Problem)
	}
	return b.String()
}
