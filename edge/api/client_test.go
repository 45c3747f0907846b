package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/status":
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"code":"edge_full","message":"full"}`))
		case "/v1/titles":
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(`<html>proxy error</html>`))
		default:
			w.Write([]byte(`[{"id":"rocks"}]`))
		}
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"typed error passes through", func() error { _, err := c.Status(ctx); return err }, CodeEdgeFull, 503},
		{"untyped error becomes internal", func() error { _, err := c.Titles(ctx); return err }, CodeInternal, 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := AsError(tt.call())
			if !ok || e.Code != tt.code || e.Status != tt.status {
				t.Fatalf("got %+v, want %s/%d", e, tt.code, tt.status)
			}
		})
	}
	ss, err := c.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1 {
		t.Fatalf("sessions %v", ss)
	}

	dead, _ := NewClient("http://127.0.0.1:1", nil)
	if e, ok := AsError(dead.DeleteSession(ctx, "x")); !ok || e.Code != CodeNoEdge {
		t.Fatalf("unreachable edge: %+v", e)
	}
	for _, bad := range []string{"", "ftp://x", "http://"} {
		if _, err := NewClient(bad, nil); err == nil {
			t.Errorf("NewClient(%q) accepted", bad)
		}
	}
}
