package enroll

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stratus/cluster"
	"stratus/edge/api"
)

// testRegistry serves a registry on loopback; its operator endpoints are
// open, as the guard is the caller's business.
func testRegistry(t *testing.T, mutate func(*Config)) (*Registry, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg := DefaultConfig()
	cfg.Dir = t.TempDir()
	cfg.URL = "http://" + srv.Listener.Addr().String()
	cfg.Poll = 20 * time.Millisecond
	if mutate != nil {
		mutate(&cfg)
	}
	r, err := Open(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	srv.Config.Handler = r.Handler(func(h http.Handler) http.Handler { return h })
	srv.Start()
	t.Cleanup(srv.Close)
	return r, cfg.URL
}

func join(t *testing.T, dir, node, token string) (*cluster.Identity, ed25519.PublicKey, error) {
	t.Helper()
	return Join(context.Background(), NodeConfig{Dir: dir, Node: node, Role: cluster.RoleEdge, Token: token}, slog.New(slog.DiscardHandler))
}

func member(node string, id *cluster.Identity) cluster.Member {
	return cluster.Member{Name: node, Key: id.Key.Public().(ed25519.PublicKey),
		Meta: cluster.Meta{Role: cluster.RoleEdge, Operator: id.Operator}}
}

func code(err error) string {
	var e *api.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// The whole path: a token, an edge enrolling with it, its certificate
// checking out, a restart needing no token, the token useless to anyone
// else, and revocation.
func TestEnrollAndRevoke(t *testing.T) {
	r, url := testRegistry(t, nil)
	c := Client{HTTP: http.DefaultClient, URL: url}
	add, err := c.Add(t.Context(), "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	id, network, err := join(t, dir, "eu-west-1", add.Token)
	if err != nil {
		t.Fatal(err)
	}
	pub := id.Key.Public().(ed25519.PublicKey)
	if !network.Equal(r.Network()) || id.Operator != "acme" {
		t.Fatalf("network key or operator: %v %q", network.Equal(r.Network()), id.Operator)
	}
	if err := cluster.VerifyCert(r.Network(), "eu-west-1", cluster.RoleEdge, "acme", pub, id.Cert); err != nil {
		t.Fatal(err)
	}
	if err := r.Allowed(member("eu-west-1", id)); err != nil {
		t.Fatalf("enrolled node not allowed: %v", err)
	}
	for _, name := range []string{"node.key", "enrollment.json"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", name, st.Mode(), err)
		}
	}

	// Restarted: no token needed, the same identity.
	id2, _, err := join(t, dir, "eu-west-1", "")
	if err != nil || !id2.Key.Equal(id.Key) {
		t.Fatalf("restart: %v", err)
	}
	// The used token enrolls no one else, and an unenrolled node is told
	// what to do.
	if _, _, err := join(t, t.TempDir(), "eu-west-9", add.Token); code(err) != api.CodeForbidden {
		t.Errorf("second use of a token: %v", err)
	}
	if _, _, err := join(t, t.TempDir(), "eu-west-9", ""); err == nil || !strings.Contains(err.Error(), "stratus operator add") {
		t.Errorf("no token: %v", err)
	}

	list, err := c.Revoke(t.Context(), "acme")
	if err != nil || len(list) != 1 || list[0].Revoked == nil || len(list[0].Nodes) != 1 {
		t.Fatalf("revoke: %+v %v", list, err)
	}
	if err := r.Allowed(member("eu-west-1", id)); err == nil {
		t.Error("a revoked operator's node is still allowed")
	}
	if _, err := c.Add(t.Context(), "acme", ""); code(err) != api.CodeForbidden {
		t.Errorf("token for a revoked operator: %v", err)
	}
}

// Attempts an outsider can make against POST /v1/enroll, each refused.
func TestEnrollRefusals(t *testing.T) {
	r, url := testRegistry(t, func(c *Config) { c.TokenTTL = time.Hour })
	tokA, _, err := r.Add("acme", "")
	if err != nil {
		t.Fatal(err)
	}
	tokB, _, _ := r.Add("other", "")
	if _, _, err := join(t, t.TempDir(), "taken", tokB.String()); err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	pub := key.Public().(ed25519.PublicKey)
	proof := func(tok Token, req Request) []byte { return mac(tok.Secret, purposeProof, req.proofParts()...) }
	valid := func() Request {
		req := Request{Token: tokA.ID, Node: "edge-1", Role: cluster.RoleEdge, Key: pub}
		req.Proof = proof(tokA, req)
		return req
	}
	cases := []struct {
		name string
		req  func() Request
		want string
	}{
		{"a guessed secret", func() Request {
			req := valid()
			req.Proof = proof(Token{Secret: strings.Repeat("0", 64)}, req)
			return req
		}, api.CodeForbidden},
		{"an unknown token id", func() Request { req := valid(); req.Token = strings.Repeat("a", 16); return req }, api.CodeForbidden},
		{"a proof for another key", func() Request {
			req := valid()
			req.Key = make(ed25519.PublicKey, ed25519.PublicKeySize)
			return req
		}, api.CodeForbidden},
		{"another operator's node name", func() Request {
			req := valid()
			req.Node = "taken"
			req.Proof = proof(tokA, req)
			return req
		}, api.CodeForbidden},
		{"the signal role", func() Request {
			req := valid()
			req.Role = cluster.RoleSignal
			req.Proof = proof(tokA, req)
			return req
		}, api.CodeBadMessage},
		{"a name with a slash", func() Request { req := valid(); req.Node = "../x"; return req }, api.CodeBadMessage},
	}
	for _, c := range cases {
		var ans Answer
		err := postJSON(t.Context(), http.DefaultClient, url+"/v1/enroll", c.req(), &ans)
		if code(err) != c.want {
			t.Errorf("%s: got %v, want %s", c.name, err, c.want)
		}
		t.Logf("%s: %v", c.name, err)
	}
	// Nothing above used the token: the right proof still works.
	var ans Answer
	if err := postJSON(t.Context(), http.DefaultClient, url+"/v1/enroll", valid(), &ans); err != nil {
		t.Fatalf("valid enrollment after the attempts: %v", err)
	}
}

func TestExpiredToken(t *testing.T) {
	r, _ := testRegistry(t, func(c *Config) { c.TokenTTL = time.Millisecond })
	tok, _, err := r.Add("acme", "")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // past the token's one-millisecond life
	if _, _, err := join(t, t.TempDir(), "edge-1", tok.String()); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token: %v", err)
	}
}

// A node that poses as the registry (it has the token's URL, not its
// secret) cannot hand the edge a network key of its own.
func TestFakeRegistryAnswerRefused(t *testing.T) {
	real, _ := testRegistry(t, nil)
	tok, _, _ := real.Add("acme", "")
	_, fakeNet, _ := ed25519.GenerateKey(nil)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req Request
		json.NewDecoder(r.Body).Decode(&req)
		ans := Answer{Operator: "acme", Network: fakeNet.Public().(ed25519.PublicKey),
			Cert: ed25519.Sign(fakeNet, cluster.CertMessage(req.Node, req.Role, "acme", req.Key))}
		ans.MAC = mac(strings.Repeat("1", 64), purposeAnswer, ans.parts(req.Node)...)
		writeJSON(w, http.StatusOK, ans)
	}))
	defer fake.Close()
	tok.URL = fake.URL
	_, _, err := join(t, t.TempDir(), "edge-1", tok.String())
	if err == nil || !strings.Contains(err.Error(), "not signed with the token's secret") {
		t.Fatalf("fake registry: %v", err)
	}
	t.Logf("fake registry: %v", err)
}

// Two registries on one directory (two signaling nodes): a revocation
// through one reaches the other.
func TestSharedDirectoryFollowsRevocation(t *testing.T) {
	a, _ := testRegistry(t, nil)
	b, err := Open(a.cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !a.Network().Equal(b.Network()) {
		t.Fatal("the two see different network keys")
	}
	tok, _, _ := a.Add("acme", "")
	id, _, err := join(t, t.TempDir(), "edge-1", tok.String())
	if err != nil {
		t.Fatal(err)
	}
	changed := b.Changed()
	if err := a.Revoke("acme"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("the second registry did not notice the change")
	}
	if err := b.Allowed(member("edge-1", id)); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("second registry: %v", err)
	}
}

func TestParseToken(t *testing.T) {
	good, _ := newToken("http://127.0.0.1:8080")
	if got, err := ParseToken(" " + good.String() + "\n"); err != nil || got != good {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for _, bad := range []string{"", "stratus-enroll", "x.y.z.w", good.String()[:len(good.String())-2],
		strings.Replace(good.String(), "stratus-enroll", "other", 1), "stratus-enroll.!!.0123456789abcdef." + strings.Repeat("0", 64)} {
		if _, err := ParseToken(bad); err == nil {
			t.Errorf("ParseToken(%q) accepted", bad)
		}
	}
}

// Checkers decide where players go, so only the network enrolls them, and
// a token enrolls only the role it was made for.
func TestCheckerTokens(t *testing.T) {
	r, _ := testRegistry(t, nil)
	if _, _, err := r.Add("acme", cluster.RoleChecker); code(err) != api.CodeBadMessage {
		t.Errorf("an edge operator's checker token: %v", err)
	}
	if _, _, err := r.Add(NetworkOperator, cluster.RoleEdge); code(err) != api.CodeBadMessage {
		t.Errorf("an edge token of the network: %v", err)
	}
	edgeTok, _, _ := r.Add("acme", "")
	cfg := NodeConfig{Dir: t.TempDir(), Node: "checker-1", Role: cluster.RoleChecker, Token: edgeTok.String()}
	if _, _, err := Join(t.Context(), cfg, slog.New(slog.DiscardHandler)); code(err) != api.CodeForbidden {
		t.Errorf("a checker enrolled with an edge's token: %v", err)
	}
	tok, _, err := r.Add(NetworkOperator, cluster.RoleChecker)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Token = tok.String()
	id, _, err := Join(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil || id.Operator != NetworkOperator {
		t.Fatalf("checker enrollment: %v", err)
	}
	m := cluster.Member{Name: "checker-1", Key: id.Key.Public().(ed25519.PublicKey), Meta: cluster.Meta{Role: cluster.RoleChecker, Operator: NetworkOperator}}
	if err := r.Allowed(m); err != nil {
		t.Fatalf("enrolled checker not allowed: %v", err)
	}
}
