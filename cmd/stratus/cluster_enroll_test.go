package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stratus/cluster"
	"stratus/internal/clustertest"
	"stratus/trust/enroll"
)

// TestClusterEnrollment: an edge operator's edge enrolls with a token from
// `stratus operator add` and is routed to; nodes that hold the cluster key
// but were not enrolled by this network gossip in vain; a used token
// enrolls no one else; revoking the operator takes its edge out of routing.
// Real processes throughout.
func TestClusterEnrollment(t *testing.T) {
	c := newCluster(t)
	s := c.startSignal(signalOpts{name: "signal-1"})
	stratus := func(args ...string) (string, error) {
		cmd := exec.Command(c.bin, args...)
		cmd.Env = clustertest.Env()
		out, err := cmd.CombinedOutput()
		t.Logf("stratus %s:\n%s", strings.Join(args, " "), strings.TrimSpace(string(out)))
		return string(out), err
	}
	asOperator := []string{"-signal", s.url, "-operator-token-file", c.tokenFile}

	// Anonymous callers cannot make tokens or list operators.
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		req, _ := http.NewRequest(method, s.url+"/v1/operators", strings.NewReader(`{"name":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := httpc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		t.Logf("anonymous %s /v1/operators: %s", method, resp.Status)
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
			t.Errorf("anonymous %s /v1/operators: %s", method, resp.Status)
		}
	}

	tokenFile := filepath.Join(t.TempDir(), "acme.token")
	if _, err := stratus(append([]string{"operator", "add", "acme", "-o", tokenFile}, asOperator...)...); err != nil {
		t.Fatal(err)
	}
	good := c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s, dataDir: t.TempDir(),
		extra: []string{"-enroll-token-file", tokenFile}})

	// A node with the cluster key and no enrollment (-dev gossips
	// unsigned), and one enrolled by another network's registry.
	c.startEdge(edgeOpts{name: "eu-west-unsigned", region: "eu-west", join: s, dataDir: "-", extra: []string{"-dev"}})
	c.startEdge(edgeOpts{name: "eu-west-foreign", region: "eu-west", join: s, dataDir: foreignEnrollment(t, "eu-west-foreign")})

	edges := waitEdges(t, s, 15*time.Second, []string{"eu-west-1"}, okEdge)
	if edges[0].Operator != "acme" {
		t.Errorf("operator of eu-west-1: %q, want acme", edges[0].Operator)
	}
	poll(t, 10*time.Second, "signaling and the enrolled edge to log the refused nodes", func() (bool, string) {
		ok := s.LogContains("eu-west-unsigned", "not signed") && s.LogContains("eu-west-foreign", "not certified") &&
			good.LogContains("eu-west-foreign", "not certified")
		return ok, "no refusal logged yet"
	})
	t.Logf("signaling: %s", lastLine(s.proc, "not certified"))

	// The used token enrolls no one else.
	thief := c.startEdge(edgeOpts{name: "eu-west-thief", region: "eu-west", join: s, dataDir: t.TempDir(), noWait: true,
		extra: []string{"-enroll-token-file", tokenFile}})
	if exited, err := thief.Wait(20 * time.Second); !exited || err == nil || !thief.LogContains("used already") {
		t.Fatalf("an edge enrolled with a used token: exited %v, %v", exited, err)
	}
	t.Logf("second use of the token: %s", lastLine(thief.proc, "used already"))

	out, err := stratus(append([]string{"operator", "list"}, asOperator...)...)
	if err != nil || !strings.Contains(out, "acme") || !strings.Contains(out, "eu-west-1") {
		t.Fatalf("operator list: %v", err)
	}
	if _, err := stratus(append([]string{"operator", "revoke", "acme"}, asOperator...)...); err != nil {
		t.Fatal(err)
	}
	waitEdges(t, s, 10*time.Second, nil, nil)
	if !s.LogContains("eu-west-1", "revoked") {
		t.Error("the revocation is not in the signaling node's log")
	}
}

// foreignEnrollment enrolls node with a registry of another network, and
// returns its data directory: a certified node, but not by this network.
func foreignEnrollment(t *testing.T, node string) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg := enroll.DefaultConfig()
	cfg.Dir, cfg.URL = t.TempDir(), "http://"+srv.Listener.Addr().String()
	reg, err := enroll.Open(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	srv.Config.Handler = reg.Handler(func(h http.Handler) http.Handler { return h })
	srv.Start()
	defer srv.Close()
	tok, _, err := reg.Add("foreign", "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, _, err := enroll.Join(t.Context(), enroll.NodeConfig{Dir: dir, Node: node, Role: cluster.RoleEdge, Token: tok.String()}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return dir
}
