package signaling_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"stratus/internal/edgenet"
	"stratus/internal/player"
	"stratus/signaling"
	"stratus/turn"
)

// TestJoinGivesRelays: a joined page gets the TURN servers of its edge's
// region, with a credential for its session that the servers accept for
// a few minutes; a node without TURN sends none.
func TestJoinGivesRelays(t *testing.T) {
	noLeaks(t)
	secret := []byte("sixteen bytes at least, 32 here.")
	net := edgenet.New()
	net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu"})
	net.Start(edgenet.EdgeConfig{Name: "us-1", Region: "us"})
	n := newNode(t, net, func(c *signaling.Config) {
		c.Limits.SessionsPerPlayer = 2 // both joins come from loopback
		c.TURN = &signaling.TURN{Secret: secret, TTL: signaling.DefaultTURNTTL, URLs: map[string][]string{
			"eu": {"turn:192.0.2.1:3479?transport=udp", "turn:192.0.2.1:3479?transport=tcp"},
			"":   {"turn:198.51.100.1:3479?transport=udp"},
		}}
	})
	for _, tc := range []struct {
		edge, exclude string
		urls          []string
	}{
		{"eu-1", "us-1", []string{"turn:192.0.2.1:3479?transport=udp", "turn:192.0.2.1:3479?transport=tcp"}},
		{"us-1", "eu-1", []string{"turn:198.51.100.1:3479?transport=udp"}},
	} {
		m, err := dial(t, n).JoinAndWait(wait(t), player.Join{Title: "rocks", Exclude: []string{tc.exclude}})
		if err != nil || m.Type != signaling.TypeJoined || m.Edge != tc.edge {
			t.Fatalf("join: %+v, %v; want joined on %s", m, err, tc.edge)
		}
		if len(m.ICEServers) != 1 || !slices.Equal(m.ICEServers[0].URLs, tc.urls) {
			t.Fatalf("ice servers %+v, want one with %v", m.ICEServers, tc.urls)
		}
		s := m.ICEServers[0]
		id, err := turn.Verify(secret, s.Username, s.Credential, time.Now())
		if err != nil || id != m.Session {
			t.Fatalf("credential %q: id %q, %v; want the session %q", s.Username, id, err, m.Session)
		}
		if _, err := turn.Verify(secret, s.Username, s.Credential, time.Now().Add(signaling.DefaultTURNTTL+time.Second)); err == nil {
			t.Fatal("the credential is still good after its lifetime")
		}
	}

	plain := newNode(t, net)
	m, err := dial(t, plain).JoinAndWait(wait(t), player.Join{Title: "rocks"})
	if err != nil || m.Type != signaling.TypeJoined || m.ICEServers != nil {
		t.Fatalf("join on a node without TURN: %+v, %v; want joined without ice servers", m, err)
	}
}

func TestTURNConfigValidate(t *testing.T) {
	bad := &signaling.TURN{Secret: []byte("short"), TTL: time.Second, URLs: map[string][]string{"eu": {"stun:x:1"}, "us": nil}}
	err := bad.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"secret of 5 bytes", "lifetime 1s", `URL "stun:x:1"`, `region "us" has 0 URLs`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v lacks %q", err, want)
		}
	}
}
