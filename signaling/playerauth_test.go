package signaling_test

import (
	"encoding/json"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"stratus/edge/api"
	"stratus/internal/edgenet"
	"stratus/internal/idp"
	"stratus/internal/player"
	"stratus/signaling"
	"stratus/signaling/playerauth"
)

const playAudience = "stratus-play"

// signedInNode serves a node that admits players signed in with a test
// provider, on one fake edge with room for every join; change, if given,
// adjusts its configuration.
func signedInNode(t *testing.T, change ...func(*signaling.Config)) (*node, *edgenet.Edge, *idp.Provider) {
	t.Helper()
	prov, err := idp.Start(jose.ES256)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prov.Close)
	net := edgenet.New()
	e := net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Capacity: 100})
	n := newNode(t, net, func(c *signaling.Config) {
		pa := playerauth.DefaultConfig()
		pa.Issuer, pa.Audience, pa.JWKSURL = prov.Issuer, playAudience, prov.JWKSURL
		c.PlayerAuth = &pa
		for _, f := range change {
			f(c)
		}
	})
	return n, e, prov
}

// token is prov's token for subject, changed by change.
func token(t *testing.T, prov *idp.Provider, subject string, change ...func(*jwt.Claims)) string {
	t.Helper()
	c := prov.Claims(subject, playAudience)
	for _, f := range change {
		f(&c)
	}
	tok, err := prov.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// signedJoin sends a join with the given token and a fake offer, and
// returns its answer.
func signedJoin(t *testing.T, p *player.Player, tok string) signaling.Message {
	t.Helper()
	if err := p.Send(signaling.Message{Type: signaling.TypeJoin, Title: "rocks", SDP: "v=0 (fake offer)", Token: tok}); err != nil {
		t.Fatal(err)
	}
	m, err := p.Answer(wait(t))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestJoinSignedIn: a node with PlayerAuth admits only joins with a valid
// token, and the token's subject reaches the edge.
func TestJoinSignedIn(t *testing.T) {
	noLeaks(t)
	n, e, prov := signedInNode(t)
	tests := []struct {
		name  string
		token string
		code  string // "" for joined
	}{
		{"no token", "", api.CodeUnauthorized},
		{"expired", token(t, prov, "alice", func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(time.Now().Add(-time.Hour)) }), api.CodeUnauthorized},
		{"for another application", token(t, prov, "alice", func(c *jwt.Claims) { c.Audience = jwt.Audience{"another-app"} }), api.CodeUnauthorized},
		{"garbage", "not.a.token", api.CodeUnauthorized},
		{"valid", token(t, prov, "alice"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.Creates())
			p, err := dialAs(t, n, "")
			if err != nil {
				t.Fatal(err)
			}
			m := signedJoin(t, p, tt.token)
			t.Logf("got %s %s %q", m.Type, m.Code, m.Message)
			creates := e.Creates()
			if tt.code != "" {
				if m.Type != signaling.TypeError || m.Code != tt.code {
					t.Fatalf("answer %+v, want error %s", m, tt.code)
				}
				if len(creates) != before {
					t.Errorf("the edge was asked to start a session for a refused player")
				}
				return
			}
			if m.Type != signaling.TypeJoined {
				t.Fatalf("answer %+v, want joined", m)
			}
			if len(creates) != before+1 || creates[len(creates)-1].Player != "alice" {
				t.Fatalf("edge asked %+v, want one more session for player alice", creates[before:])
			}
			body, err := httpGet(n.URL + "/v1/sessions")
			if err != nil {
				t.Fatal(err)
			}
			var sessions []api.SessionInfo
			if err := json.Unmarshal(body, &sessions); err != nil {
				t.Fatalf("sessions %s: %v", body, err)
			}
			if len(sessions) != 1 || sessions[0].Player != "alice" || sessions[0].ID != m.Session {
				t.Errorf("node's sessions %s, want %s of alice", body, m.Session)
			}
		})
	}
}

// TestSessionsPerSignedInPlayer: with sign-in, a player is their subject:
// the same subject from another address is the same player, and another
// subject from the same address is another.
func TestSessionsPerSignedInPlayer(t *testing.T) {
	noLeaks(t)
	n, _, prov := signedInNode(t)
	steps := []struct {
		name, ip, subject string
		joined            bool
	}{
		{"alice", "", "alice", true},
		{"alice from another address", otherIP, "alice", false},
		{"bob from that address", otherIP, "bob", true},
		{"carol from alice's address", "", "carol", true},
	}
	for _, s := range steps {
		p, err := dialAs(t, n, s.ip)
		if err != nil {
			t.Fatal(err)
		}
		m := signedJoin(t, p, token(t, prov, s.subject))
		t.Logf("%s: got %s %s %q", s.name, m.Type, m.Code, m.Message)
		if s.joined && m.Type != signaling.TypeJoined {
			t.Fatalf("%s: %+v, want joined", s.name, m)
		}
		if !s.joined && (m.Type != signaling.TypeError || m.Code != api.CodeRateLimited) {
			t.Fatalf("%s: %+v, want rate_limited", s.name, m)
		}
	}
}

// TestFailedSignInsCount: refused sign-ins count as joins of their
// address, so that one address cannot try tokens without end.
func TestFailedSignInsCount(t *testing.T) {
	noLeaks(t)
	const joins = 3
	n, _, prov := signedInNode(t, func(c *signaling.Config) { c.Limits.JoinsPerMinute = joins })
	p, err := dialAs(t, n, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range joins {
		if m := signedJoin(t, p, token(t, prov, "alice", func(c *jwt.Claims) { c.Issuer = "https://elsewhere.example" })); m.Code != api.CodeUnauthorized {
			t.Fatalf("forged join %d: %+v, want unauthorized", i+1, m)
		}
	}
	m := signedJoin(t, p, token(t, prov, "alice"))
	t.Logf("a valid join after %d refused: got %s %s %q", joins, m.Type, m.Code, m.Message)
	if m.Code != api.CodeRateLimited {
		t.Fatalf("valid join after %d refused ones: %+v, want rate_limited", joins, m)
	}
	// Tokens refused on their claims cost no fetch of the provider's keys.
	if got := prov.Fetches(); got != 0 {
		t.Errorf("the provider's keys fetched %d times, want none", got)
	}
}
