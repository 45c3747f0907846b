package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stratus/edge/api"
	"stratus/internal/clustertest"
)

// TestClusterOperatorEndpoints attacks a signaling process's operator
// endpoints as an outsider on the network would, then reads them as the
// operator.
func TestClusterOperatorEndpoints(t *testing.T) {
	c := newCluster(t)
	s := c.startSignal(signalOpts{name: "signal-1"})
	bare := c.startSignal(signalOpts{name: "signal-bare", join: s, noToken: true})
	c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s})
	waitEdges(t, s, 15*time.Second, []string{"eu-west-1"}, okEdge)

	token := readTrimmed(t, c.tokenFile)
	paths := []string{"/v1/sessions", "/v1/edges", "/v1/route?title=testpattern", "/metrics"}
	tests := []struct {
		name   string
		node   *signalNode
		auth   string // Authorization header; "" sends none
		status int
		says   string // in the body
	}{
		{"no credentials", s, "", http.StatusUnauthorized, api.CodeUnauthorized},
		{"the token without a scheme", s, token, http.StatusUnauthorized, api.CodeUnauthorized},
		{"basic auth", s, "Basic b3BlcmF0b3I6b3BlcmF0b3I=", http.StatusUnauthorized, api.CodeUnauthorized},
		{"a guessed token", s, "Bearer " + strings.Repeat("0", 64), http.StatusForbidden, "wrong operator token"},
		{"the cluster key as a token", s, "Bearer " + readTrimmed(t, c.keyFile), http.StatusForbidden, "wrong operator token"},
		{"the operator token", s, "Bearer " + token, http.StatusOK, ""},
		{"a node without a token, no credentials", bare, "", http.StatusForbidden, "no operator token configured"},
		{"a node without a token, the cluster's token", bare, "Bearer " + token, http.StatusForbidden, "no operator token configured"},
	}
	hc := clustertest.HTTPClient()
	for _, tt := range tests {
		for _, path := range paths {
			t.Run(tt.name+path, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodGet, tt.node.url+path, nil)
				if tt.auth != "" {
					req.Header.Set("Authorization", tt.auth)
				}
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
				shown := strings.TrimSpace(string(body))
				if len(shown) > 200 {
					shown = shown[:200] + "…"
				}
				t.Logf("GET %s%s as %q: %s %s", tt.node.name, path, tt.name, resp.Status, shown)
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
				}
				if !strings.Contains(string(body), tt.says) {
					t.Errorf("body does not say %q", tt.says)
				}
				if tt.status != http.StatusOK && strings.Contains(string(body), "eu-west-1") {
					t.Errorf("a refusal names an edge")
				}
			})
		}
	}

	list, err := edgesOf(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.API == "" || e.Region != "eu-west" || e.State != "alive" {
			t.Errorf("edge %+v: want its api, region and state", e)
		}
	}
	t.Logf("as the operator, /v1/edges: %s", describeEdges(list))
	// Players need no token.
	for _, path := range []string{"/healthz", "/play"} {
		resp, err := hc.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		t.Logf("GET %s with no credentials: %s", path, resp.Status)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s, want 200", path, resp.Status)
		}
	}
}

// TestOperatorTokenCommand: `stratus operator token` creates the file once,
// keeps it after, and refuses one that others may read.
func TestOperatorTokenCommand(t *testing.T) {
	bin := stratusBinary(t)
	path := filepath.Join(t.TempDir(), "run", "operator.token")
	run := func() (string, error) {
		cmd := exec.Command(bin, "operator", "token", "-file", path)
		cmd.Env = clustertest.Env()
		out, err := cmd.CombinedOutput()
		t.Logf("stratus operator token -file %s: %s", path, strings.TrimSpace(string(out)))
		return string(out), err
	}
	out, err := run()
	if err != nil || !strings.Contains(out, "created in") || !strings.Contains(out, path) {
		t.Fatalf("first run: %v", err)
	}
	first := readTrimmed(t, path)
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", st.Mode().Perm())
	}
	out, err = run()
	if err != nil || !strings.Contains(out, "already in") || readTrimmed(t, path) != first {
		t.Fatalf("second run: %v; the token must be kept", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = run()
	if err == nil || !strings.Contains(out, "chmod 600") {
		t.Fatalf("a world-readable token file was used: %v", err)
	}
}

func readTrimmed(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
