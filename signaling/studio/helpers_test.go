package studio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

const (
	keyAcme  = "acme-key-0123456789"
	keyRival = "rival-key-0123456789"
)

func testLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testConfig(dir string) Config {
	return Config{DataDir: dir, Keys: map[string][]string{"acme": {keyAcme}, "rival": {keyRival}}}
}

// newTestServer serves a Service on dir; both close with the test.
func newTestServer(t *testing.T, dir string) (*Service, *httptest.Server) {
	t.Helper()
	svc, err := New(testConfig(dir), testLog())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() { srv.Close(); svc.Close() })
	return svc, srv
}

// manifestJSON is a valid process manifest, its id as given, in any case.
func manifestJSON(id, version string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"name":"Game %s","version":%q,"runtime":"process","command":"start.sh","width":640,"height":360,"fps":30,"input":{"keyboard":true}}`, id, id, version)
}

// call makes one request and decodes the answer into out (if not nil).
func call(t *testing.T, srv *httptest.Server, key, method, path string, body []byte, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}
