package api

import (
	"net/http"
	"testing"
)

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Codes() {
		if seen[c.Code] {
			t.Errorf("code %q listed twice", c.Code)
		}
		seen[c.Code] = true
		if c.Status < 400 || c.Status > 599 {
			t.Errorf("code %q: status %d is not an error", c.Code, c.Status)
		}
	}
	tests := []struct {
		code   string
		status int
	}{
		{CodeEdgeFull, http.StatusServiceUnavailable},
		{CodeUnknownTitle, http.StatusNotFound},
		{CodeBadMessage, http.StatusBadRequest},
		{"no_such_code", http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := StatusOf(tt.code); got != tt.status {
			t.Errorf("StatusOf(%q) = %d, want %d", tt.code, got, tt.status)
		}
	}
	if e := Errorf(CodeNotFound, "no session %q", "x"); e.Status != 404 || e.Message != `no session "x"` {
		t.Errorf("Errorf = %+v", e)
	}
}
