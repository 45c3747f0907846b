package playerauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"stratus/internal/idp"
	"stratus/signaling/playerauth"
)

const audience = "stratus-play"

// startProvider starts a provider that closes with the test.
func startProvider(t *testing.T, alg jose.SignatureAlgorithm) *idp.Provider {
	t.Helper()
	p, err := idp.Start(alg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// newVerifier verifies p's tokens for audience; change adjusts the config.
func newVerifier(t *testing.T, p *idp.Provider, change ...func(*playerauth.Config)) *playerauth.Verifier {
	t.Helper()
	cfg := playerauth.DefaultConfig()
	cfg.Issuer, cfg.Audience, cfg.JWKSURL = p.Issuer, audience, p.JWKSURL
	for _, f := range change {
		f(&cfg)
	}
	v, err := playerauth.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustSign(t *testing.T, sign func(jwt.Claims) (string, error), c jwt.Claims) string {
	t.Helper()
	tok, err := sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// hmacSigner signs with HS256: a key both sides share, which a provider's
// public keys are not, and so never accepted.
func hmacSigner(t *testing.T) func(jwt.Claims) (string, error) {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("a secret of thirty-two bytes....")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return func(c jwt.Claims) (string, error) { return jwt.Signed(s).Claims(c).Serialize() }
}

// unsigned is c as a token with "alg": "none".
func unsigned(t *testing.T, c jwt.Claims) string {
	t.Helper()
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
}

func TestVerify(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA} {
		t.Run(string(alg), func(t *testing.T) {
			p := startProvider(t, alg)
			other := startProvider(t, alg)
			v := newVerifier(t, p)
			now := time.Now()
			at := jwt.NewNumericDate
			tests := []struct {
				name  string
				token func(c jwt.Claims) string // given valid claims for "alice"
				want  playerauth.Reason         // "" for accepted
			}{
				{"valid", func(c jwt.Claims) string { return mustSign(t, p.Sign, c) }, ""},
				{"expired within the skew", func(c jwt.Claims) string {
					c.Expiry = at(now.Add(-30 * time.Second))
					return mustSign(t, p.Sign, c)
				}, ""},
				{"expired", func(c jwt.Claims) string {
					c.IssuedAt, c.NotBefore, c.Expiry = at(now.Add(-time.Hour)), at(now.Add(-time.Hour)), at(now.Add(-2*time.Minute))
					return mustSign(t, p.Sign, c)
				}, playerauth.Expired},
				{"no expiry", func(c jwt.Claims) string {
					c.Expiry = nil
					return mustSign(t, p.Sign, c)
				}, playerauth.Expired},
				{"not yet valid", func(c jwt.Claims) string {
					c.NotBefore = at(now.Add(2 * time.Minute))
					return mustSign(t, p.Sign, c)
				}, playerauth.NotYetValid},
				{"issued in the future", func(c jwt.Claims) string {
					c.IssuedAt = at(now.Add(2 * time.Minute))
					return mustSign(t, p.Sign, c)
				}, playerauth.NotYetValid},
				{"wrong audience", func(c jwt.Claims) string {
					c.Audience = jwt.Audience{"another-app"}
					return mustSign(t, p.Sign, c)
				}, playerauth.WrongAudience},
				{"one audience of several", func(c jwt.Claims) string {
					c.Audience = jwt.Audience{"another-app", audience}
					return mustSign(t, p.Sign, c)
				}, ""},
				{"wrong issuer", func(c jwt.Claims) string {
					c.Issuer = other.Issuer
					return mustSign(t, p.Sign, c)
				}, playerauth.WrongIssuer},
				{"no subject", func(c jwt.Claims) string {
					c.Subject = ""
					return mustSign(t, p.Sign, c)
				}, playerauth.BadSubject},
				{"subject too long", func(c jwt.Claims) string {
					c.Subject = strings.Repeat("a", 256)
					return mustSign(t, p.Sign, c)
				}, playerauth.BadSubject},
				{"another key under the provider's key id", func(c jwt.Claims) string { return mustSign(t, p.Forge, c) }, playerauth.BadSignature},
				{"another provider's key", func(c jwt.Claims) string { return mustSign(t, other.Sign, c) }, playerauth.BadSignature},
				{"alg none", func(c jwt.Claims) string { return unsigned(t, c) }, playerauth.Malformed},
				{"HMAC with a secret", func(c jwt.Claims) string { return mustSign(t, hmacSigner(t), c) }, playerauth.Malformed},
				{"signature cut off", func(c jwt.Claims) string {
					tok := mustSign(t, p.Sign, c)
					return tok[:strings.LastIndexByte(tok, '.')+1]
				}, playerauth.BadSignature},
				{"garbage", func(jwt.Claims) string { return "not.a.token" }, playerauth.Malformed},
				{"empty", func(jwt.Claims) string { return "" }, playerauth.Missing},
				{"oversized", func(c jwt.Claims) string {
					c.ID = strings.Repeat("x", 8<<10)
					return mustSign(t, p.Sign, c)
				}, playerauth.TooLong},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tok := tt.token(p.Claims("alice", audience))
					sub, err := v.Verify(context.Background(), tok)
					t.Logf("got %q, %v", sub, err)
					if tt.want == "" {
						if err != nil || sub != "alice" {
							t.Fatalf("got %q, %v; want alice", sub, err)
						}
						return
					}
					var pe *playerauth.Error
					if !errors.As(err, &pe) || pe.Reason != tt.want {
						t.Fatalf("got %q, %v; want refused as %s", sub, err, tt.want)
					}
					if sub != "" {
						t.Errorf("refused, yet subject %q", sub)
					}
					if len(tok) > 8 && strings.Contains(err.Error(), tok[len(tok)/2:]) {
						t.Errorf("the error quotes the token: %v", err)
					}
				})
			}
		})
	}
}

// TestKeysFetched: keys are fetched at the first token, kept, and fetched
// again for a key id not seen no sooner than RefetchAfter; a provider that
// cannot be reached is told apart from a bad token.
func TestKeysFetched(t *testing.T) {
	p := startProvider(t, jose.ES256)
	other := startProvider(t, jose.ES256)
	v := newVerifier(t, p, func(c *playerauth.Config) { c.RefetchAfter = time.Hour })
	ctx := context.Background()
	if got := p.Fetches(); got != 0 {
		t.Fatalf("%d fetches before any token", got)
	}
	for i := range 3 {
		if _, err := v.Verify(ctx, mustSign(t, p.Sign, p.Claims("alice", audience))); err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
	}
	if got := p.Fetches(); got != 1 {
		t.Errorf("%d fetches for three tokens, want 1", got)
	}
	// Tokens of unseen key ids would each make go-oidc fetch again.
	for i := range 5 {
		_, err := v.Verify(ctx, mustSign(t, other.Sign, p.Claims("mallory", audience)))
		var pe *playerauth.Error
		if !errors.As(err, &pe) || pe.Reason != playerauth.BadSignature {
			t.Fatalf("forged token %d: %v, want a bad signature", i, err)
		}
	}
	if got := p.Fetches(); got != 1 {
		t.Errorf("%d fetches after five forged tokens, want still 1", got)
	}

	down := startProvider(t, jose.ES256)
	down.SetFailing(true)
	v = newVerifier(t, down)
	_, err := v.Verify(ctx, mustSign(t, down.Sign, down.Claims("alice", audience)))
	t.Logf("provider down: %v", err)
	var pe *playerauth.Error
	if !errors.As(err, &pe) || pe.Reason != playerauth.KeysUnavailable {
		t.Fatalf("provider down: %v, want keys unavailable", err)
	}
	// Asked again at once, the node does not fetch, and still says why.
	_, err = v.Verify(ctx, mustSign(t, down.Sign, down.Claims("alice", audience)))
	if !errors.As(err, &pe) || pe.Reason != playerauth.KeysUnavailable || down.Fetches() != 1 {
		t.Fatalf("provider down, asked again: %v after %d fetches, want keys unavailable after 1", err, down.Fetches())
	}
}

func TestConfigValidate(t *testing.T) {
	valid := playerauth.DefaultConfig()
	valid.Issuer, valid.Audience, valid.JWKSURL = "https://id.example", audience, "https://id.example/jwks"
	tests := []struct {
		name   string
		change func(*playerauth.Config)
		want   []string // each in the error; none: valid
	}{
		{"valid", func(*playerauth.Config) {}, nil},
		{"loopback http", func(c *playerauth.Config) { c.JWKSURL = "http://127.0.0.1:9000/jwks" }, nil},
		{"nothing named", func(c *playerauth.Config) { c.Issuer, c.Audience, c.JWKSURL = "", "", "" },
			[]string{"issuer is empty", "audience is empty", "jwks url is empty"}},
		{"keys in the clear", func(c *playerauth.Config) { c.JWKSURL = "http://id.example/jwks" }, []string{"not https"}},
		{"no host", func(c *playerauth.Config) { c.JWKSURL = "https:///jwks" }, []string{"no host"}},
		{"limits", func(c *playerauth.Config) {
			c.MaxTokenBytes, c.MaxKeysBytes, c.ClockSkew, c.RefetchAfter, c.FetchTimeout = 0, 0, time.Hour, 0, 0
		}, []string{"max token bytes", "max keys bytes", "clock skew", "refetch after", "fetch timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.change(&c)
			err := c.Validate()
			t.Logf("%v", err)
			if (err == nil) != (len(tt.want) == 0) {
				t.Fatalf("got %v, want errors %q", err, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v: does not say %q", err, w)
				}
			}
		})
	}
}
