package nodeauth

import (
	"crypto/ed25519"
	"errors"
	"net/http"
	"testing"
	"time"

	"stratus/edge/api"
)

// An outsider's attempts: each refused with its reason; the node's own
// request believed once.
func TestVerify(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	_, stranger, _ := ed25519.GenerateKey(nil)
	keys := func(node string) (ed25519.PublicKey, string, error) {
		switch node {
		case "eu-1":
			return pub, "acme", nil
		case "gone-1":
			return pub, "", errors.New(`operator "gone" of gone-1 was revoked`)
		}
		return nil, "", errors.New(node + " is not enrolled here")
	}
	now := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	v, err := NewVerifier(Config{MaxNonces: 3}, keys)
	if err != nil {
		t.Fatal(err)
	}
	v.now = func() time.Time { return now }
	get := func(target string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, "http://signal"+target, nil)
		return r
	}
	signed := func(node string, k ed25519.PrivateKey, at time.Time) *http.Request {
		r := get("/v1/node/status?from=2026-12-01")
		Sign(r, node, k, at)
		return r
	}
	good := signed("eu-1", key, now)
	replay := good.Clone(t.Context())
	altered := signed("eu-1", key, now)
	altered.URL.RawQuery = "from=2020-01-01"
	post := signed("eu-1", key, now)
	post.Method = http.MethodPost
	unsigned := get("/v1/node/status")
	for _, c := range []struct {
		name string
		r    *http.Request
		code string
	}{
		{"the node's request", good, ""},
		{"the same again", replay, api.CodeUnauthorized},
		{"another query under its signature", altered, api.CodeForbidden},
		{"another method", post, api.CodeForbidden},
		{"no signature", unsigned, api.CodeUnauthorized},
		{"signed a minute ago", signed("eu-1", key, now.Add(-time.Minute)), api.CodeUnauthorized},
		{"signed a minute ahead", signed("eu-1", key, now.Add(time.Minute)), api.CodeUnauthorized},
		{"an enrolled name, another key", signed("eu-1", stranger, now), api.CodeForbidden},
		{"a node never enrolled", signed("mine-1", stranger, now), api.CodeForbidden},
		{"a revoked operator's node", signed("gone-1", key, now), api.CodeForbidden},
		{"a fresh request, within the window", signed("eu-1", key, now.Add(-10*time.Second)), ""},
	} {
		caller, err := v.Verify(c.r)
		var ae *api.Error
		switch {
		case c.code == "" && (err != nil || caller != Caller{Node: "eu-1", Operator: "acme"}):
			t.Errorf("%s: %+v %v", c.name, caller, err)
		case c.code != "" && (!errors.As(err, &ae) || ae.Code != c.code):
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		default:
			t.Logf("%s: %v", c.name, err)
		}
	}
	// The nonces are bounded: full, a request waits for the old ones to
	// leave the window; then the space is reused.
	v.Verify(signed("eu-1", key, now))
	var ae *api.Error
	if _, err := v.Verify(signed("eu-1", key, now)); !errors.As(err, &ae) || ae.Code != api.CodeRateLimited {
		t.Errorf("a fourth nonce within the window: %v", err)
	}
	now = now.Add(DefaultWindow + time.Second)
	if _, err := v.Verify(signed("eu-1", key, now)); err != nil {
		t.Errorf("after the window: %v", err)
	}
}
