package signaling

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// clock is a time the test moves.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func testLimits() Limits {
	l := DefaultLimits()
	l.JoinsPerMinute, l.TrackedIPs = 2, 3
	return l
}

// TestClientsRefill spends an address's joins and checks they come back
// with time, and only with time.
func TestClientsRefill(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	cs := newClients(testLimits(), clk.now)
	cl, _ := cs.openSocket("192.0.2.1")
	steps := []struct {
		name    string
		advance time.Duration
		ok      bool
	}{
		{"first", 0, true},
		{"second", 0, true},
		{"third at once", 0, false},
		{"after a second", time.Second, false},
		{"after half a minute", 29 * time.Second, true},
		{"again at once", 0, false},
	}
	for _, s := range steps {
		clk.t = clk.t.Add(s.advance)
		err := cs.takeJoin(cl)
		t.Logf("%s: %v", s.name, err)
		if (err == nil) != s.ok {
			t.Fatalf("%s: got %v, want ok=%v", s.name, err, s.ok)
		}
	}
}

// TestSessionsPerPlayerKey: an anonymous player is their address, a
// signed-in one their subject, whatever their address.
func TestSessionsPerPlayerKey(t *testing.T) {
	lim := testLimits()
	lim.SessionsPerPlayer = 1
	cs := newClients(lim, time.Now)
	steps := []struct {
		name string
		p    player
		ok   bool
	}{
		{"an address", player{ip: "192.0.2.1"}, true},
		{"the same address", player{ip: "192.0.2.1"}, false},
		{"alice, from that address", player{subject: "alice"}, true},
		{"alice again", player{subject: "alice"}, false},
		{"bob", player{subject: "bob"}, true},
		{"a subject named as the address", player{subject: "192.0.2.1"}, true},
	}
	for _, s := range steps {
		err := cs.holdSession(s.p)
		t.Logf("%s: %v", s.name, err)
		if (err == nil) != s.ok {
			t.Fatalf("%s: got %v, want ok=%v", s.name, err, s.ok)
		}
	}
	for _, s := range steps {
		if s.ok {
			cs.endSession(s.p)
		}
	}
	if len(cs.players) != 0 {
		t.Errorf("players left after every session ended: %v", cs.players)
	}
}

// TestClientsBounded floods the table with addresses: it stays within
// TrackedIPs, and idle addresses are forgotten after Forget.
func TestClientsBounded(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	lim := testLimits()
	cs := newClients(lim, clk.now)
	held, _ := cs.openSocket("192.0.2.1")
	for i := range 100 {
		cl, ok := cs.openSocket(fmt.Sprintf("198.51.100.%d", i))
		if !ok {
			t.Fatalf("address %d refused", i)
		}
		cs.closeSocket(cl)
		if n := len(cs.byIP); n > lim.TrackedIPs {
			t.Fatalf("%d addresses tracked, limit %d", n, lim.TrackedIPs)
		}
	}
	t.Logf("after 100 addresses: %d tracked", len(cs.byIP))
	clk.t = clk.t.Add(lim.Forget)
	cs.openSocket("203.0.113.1")
	if _, ok := cs.byIP["198.51.100.99"]; ok {
		t.Errorf("an idle address outlived Forget")
	}
	// The one still holding a socket is forgotten only when the table is
	// full of newer ones: its connection keeps counting on its own entry.
	cs.closeSocket(held)
}

// TestClientIP names clients as an outsider might try to vary them:
// forwarding headers and the many addresses of one IPv6 network.
func TestClientIP(t *testing.T) {
	tests := []struct {
		remote, forwarded, want string
	}{
		{"192.0.2.1:4000", "", "192.0.2.1"},
		{"192.0.2.1:4001", "198.51.100.9", "192.0.2.1"},
		{"[2001:db8:1:2:aaaa::1]:4000", "", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:bbbb::7]:4000", "", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::1]:4000", "", "2001:db8:1:3::/64"},
		{"[::ffff:192.0.2.1]:4000", "", "192.0.2.1"},
	}
	for _, tt := range tests {
		r := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
		if tt.forwarded != "" {
			r.Header.Set("X-Forwarded-For", tt.forwarded)
		}
		got := clientIP(r)
		t.Logf("tried %s (forwarded for %q): counted as %s", tt.remote, tt.forwarded, got)
		if got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.remote, got, tt.want)
		}
	}
}
