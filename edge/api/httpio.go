package api

import (
	"encoding/json"
	"errors"
	"net/http"
)

// WriteJSON answers with v as JSON, with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// WriteError answers with err: as it is when it is an *Error, else as an
// internal one.
func WriteError(w http.ResponseWriter, err error) {
	ae, ok := AsError(err)
	if !ok {
		ae = Errorf(CodeInternal, "%v", err)
	}
	if ae.Status == 0 {
		ae.Status = http.StatusInternalServerError
	}
	ae.Write(w)
}

// ReadJSON decodes a request's JSON body of at most max bytes into v,
// refusing unknown fields. On failure it answers the request with the
// error and returns false.
func ReadJSON(w http.ResponseWriter, r *http.Request, max int64, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			Errorf(CodeTooLarge, "the request body is over %d bytes", max).Write(w)
		} else {
			Errorf(CodeBadMessage, "bad request body: %v", err).Write(w)
		}
		return false
	}
	return true
}
