package trust

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestTickets(t *testing.T) {
	key, other := []byte("edge control key 0123456789abcdef"), []byte("another key")
	now := time.Now()
	good := SignTicket(key, "eu-west-1", "DELETE", "/v1/sessions/abc", "abc", now)
	tests := []struct {
		name   string
		ticket string
		key    []byte
		at     time.Time
		want   error
	}{
		{"good", good, key, now, nil},
		{"wrong key", good, other, now, ErrBadTicket},
		{"expired", good, key, now.Add(TicketTTL + time.Second), ErrBadTicket},
		{"tampered", strings.Replace(good, "e", "f", 1), key, now, ErrBadTicket},
		{"no signature", strings.Split(good, ".")[0], key, now, ErrBadTicket},
		{"garbage", "!!.!!", key, now, ErrBadTicket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OpenTicket(tt.key, tt.ticket, tt.at)
			if !errors.Is(err, tt.want) {
				t.Fatalf("OpenTicket = %v, want %v", err, tt.want)
			}
			if err == nil && (got.Edge != "eu-west-1" || got.Method != "DELETE" || got.Path != "/v1/sessions/abc" || got.Subject != "abc") {
				t.Fatalf("claims %+v", got)
			}
		})
	}
}

// TestControl: the operator's token and a ticket for this edge and call
// pass; anything else is refused, a ticket only once.
func TestControl(t *testing.T) {
	key := []byte("edge control key 0123456789abcdef")
	op := Token(strings.Repeat("ab", 32))
	c := NewControl("eu-west-1", key, op, slog.New(slog.DiscardHandler))
	var subject string
	h := c.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := TicketSubject(r.Context()); ok {
			subject = s
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	ticket := func(edge, method, path string) string { return SignTicket(key, edge, method, path, "abc", time.Now()) }
	replayed := ticket("eu-west-1", "DELETE", "/v1/sessions/abc")
	tests := []struct {
		name, method, path, ctype string
		header                    map[string]string
		want                      int
	}{
		{"nothing", "DELETE", "/v1/sessions/abc", "", nil, http.StatusUnauthorized},
		{"the operator", "DELETE", "/v1/sessions/abc", "", map[string]string{"Authorization": "Bearer " + string(op)}, http.StatusNoContent},
		{"a wrong token", "DELETE", "/v1/sessions/abc", "", map[string]string{"Authorization": "Bearer x"}, http.StatusForbidden},
		{"a ticket", "DELETE", "/v1/sessions/abc", "", map[string]string{TicketHeader: replayed}, http.StatusNoContent},
		{"the ticket replayed", "DELETE", "/v1/sessions/abc", "", map[string]string{TicketHeader: replayed}, http.StatusForbidden},
		{"another edge's ticket", "DELETE", "/v1/sessions/abc", "", map[string]string{TicketHeader: ticket("eu-west-2", "DELETE", "/v1/sessions/abc")}, http.StatusForbidden},
		{"another session's ticket", "DELETE", "/v1/sessions/abc", "", map[string]string{TicketHeader: ticket("eu-west-1", "DELETE", "/v1/sessions/xyz")}, http.StatusForbidden},
		{"a ticket for another method", "DELETE", "/v1/sessions/abc", "", map[string]string{TicketHeader: ticket("eu-west-1", "GET", "/v1/sessions/abc")}, http.StatusForbidden},
		{"a form post", "POST", "/v1/drain", "application/x-www-form-urlencoded", map[string]string{"Authorization": "Bearer " + string(op)}, http.StatusBadRequest},
		{"a JSON post", "POST", "/v1/drain", "application/json; charset=utf-8", map[string]string{"Authorization": "Bearer " + string(op)}, http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status %d (%s), want %d", w.Code, strings.TrimSpace(w.Body.String()), tt.want)
			}
		})
	}
	if subject != "abc" {
		t.Errorf("the ticket's subject reached the handler as %q", subject)
	}
	if _, ok := TicketSubject(context.Background()); ok {
		t.Error("a request without a ticket has a subject")
	}
	if !NewControl("e", nil, "", slog.New(slog.DiscardHandler)).Open() {
		t.Error("an edge without key and token is not open")
	}
}

// BenchmarkTicket is what tickets add to a join: the signaling node signs
// one, the edge opens it and records its nonce.
func BenchmarkTicket(b *testing.B) {
	key := []byte("edge control key 0123456789abcdef")
	n := NewNonces()
	i := 0
	for b.Loop() {
		// An edge remembers at most maxNonces tickets of the last 30 s;
		// the loop makes far more than any edge gets.
		if i++; i%(maxNonces/2) == 0 {
			n = NewNonces()
		}
		now := time.Now()
		s := SignTicket(key, "eu-west-1", "POST", "/v1/sessions", "rocks", now)
		t, err := OpenTicket(key, s, now)
		if err != nil {
			b.Fatal(err)
		}
		if err := n.Use(t, now); err != nil {
			b.Fatal(err)
		}
	}
}
