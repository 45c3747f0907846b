package signaling_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"stratus/edge/api"
	"stratus/internal/edgenet"
	"stratus/internal/player"
	"stratus/signaling"
)

// otherIP is a second client: Linux answers for all of 127.0.0.0/8.
const otherIP = "127.0.0.2"

// dialAs connects a player as the given client; the player closes with the
// test.
func dialAs(t *testing.T, n *node, ip string) (*player.Player, error) {
	t.Helper()
	p, err := player.DialAs(wait(t), n.URL, player.As{Origin: n.URL, LocalIP: ip})
	if err == nil {
		t.Cleanup(func() { p.Close() })
	}
	return p, err
}

// fakeJoin sends a join with an offer no edge reads (the fake edges do not)
// and returns its answer.
func fakeJoin(t *testing.T, p *player.Player, resume string) signaling.Message {
	t.Helper()
	if err := p.Send(signaling.Message{Type: signaling.TypeJoin, Title: "rocks", SDP: "v=0 (fake offer)", Resume: resume}); err != nil {
		t.Fatal(err)
	}
	m, err := p.Answer(wait(t))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWebSocketsPerIP opens sockets from one address until the node
// refuses one, then checks that another address is not refused and that a
// socket closed frees its place.
func TestWebSocketsPerIP(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu"})
	n := newNode(t, net)
	limit := signaling.DefaultLimits().WebSocketsPerIP
	var open []*player.Player
	for i := range limit {
		p, err := dialAs(t, n, "")
		if err != nil {
			t.Fatalf("socket %d refused: %v", i+1, err)
		}
		open = append(open, p)
	}
	_, err := dialAs(t, n, "")
	var se *player.StatusError
	t.Logf("tried socket %d from one address: got %v", limit+1, err)
	if !errors.As(err, &se) || se.Status != http.StatusTooManyRequests || se.RetryAfter == "" {
		t.Fatalf("socket %d: got %v, want HTTP 429 with a Retry-After", limit+1, err)
	}
	if _, err := dialAs(t, n, otherIP); err != nil {
		t.Fatalf("another address refused: %v", err)
	}
	open[0].Close()
	// The node counts the socket closed once its connection has ended,
	// which it notices a moment after the player closes.
	eventually(t, "a closed socket's place to be free", func() bool {
		p, err := player.DialAs(wait(t), n.URL, player.As{Origin: n.URL})
		if err != nil {
			return false
		}
		p.Close()
		return true
	})
}

// TestJoinsPerMinute sends joins from one address faster than the node
// allows; another address still joins.
func TestJoinsPerMinute(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	// Room for every join: only the node's limit refuses.
	net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Capacity: 100})
	n := newNode(t, net)
	p, err := dialAs(t, n, "")
	if err != nil {
		t.Fatal(err)
	}
	limit := signaling.DefaultLimits().JoinsPerMinute
	for i := range limit {
		// Each join on the socket ends its session first: the page's
		// failover rejoins, many in a row.
		if m := fakeJoin(t, p, ""); m.Type != signaling.TypeJoined {
			t.Fatalf("join %d: %+v", i+1, m)
		}
	}
	m := fakeJoin(t, p, "")
	t.Logf("tried join %d within a minute: got %s %s %q", limit+1, m.Type, m.Code, m.Message)
	if m.Type != signaling.TypeError || m.Code != api.CodeRateLimited {
		t.Fatalf("join %d: %+v, want rate_limited", limit+1, m)
	}
	q, err := dialAs(t, n, otherIP)
	if err != nil {
		t.Fatal(err)
	}
	if m := fakeJoin(t, q, ""); m.Type != signaling.TypeJoined {
		t.Fatalf("another address: %+v", m)
	}
}

// TestSessionsPerPlayer plays a second game from one player while the
// first runs, and rejoins the first as a page failing over does.
func TestSessionsPerPlayer(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	e := net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Capacity: 100})
	n := newNode(t, net)
	first, err := dialAs(t, n, "")
	if err != nil {
		t.Fatal(err)
	}
	second, err := dialAs(t, n, "")
	if err != nil {
		t.Fatal(err)
	}
	if joined := fakeJoin(t, first, ""); joined.Type != signaling.TypeJoined {
		t.Fatalf("first join: %+v", joined)
	}
	m := fakeJoin(t, second, "")
	t.Logf("tried a second game from the same address on another socket: got %s %s %q", m.Type, m.Code, m.Message)
	if m.Type != signaling.TypeError || m.Code != api.CodeRateLimited {
		t.Fatalf("second game: %+v, want rate_limited", m)
	}
	// A failover rejoin on the same socket ends the old session first.
	for i := range 3 {
		m := fakeJoin(t, first, "token")
		t.Logf("rejoined on the same socket, %d: got %s %s", i+1, m.Type, m.Code)
		if m.Type != signaling.TypeJoined {
			t.Fatalf("rejoin %d on the same socket: %+v", i+1, m)
		}
	}
	// Leaving gives the slot back (the edge hears of it after).
	if err := first.Leave(); err != nil {
		t.Fatal(err)
	}
	// (The fake edge reuses the ids of ended sessions: count them.)
	eventually(t, "the first socket's sessions to be ended", func() bool { return len(e.Deleted()) == 4 })
	if m := fakeJoin(t, second, ""); m.Type != signaling.TypeJoined {
		t.Fatalf("after the first left: %+v", m)
	}
	// So does a socket closing.
	second.Close()
	eventually(t, "the closed socket's session to be ended", func() bool { return len(e.Deleted()) == 5 })
	if m := fakeJoin(t, first, ""); m.Type != signaling.TypeJoined {
		t.Fatalf("after the second went away: %+v", m)
	}
}

// TestCandidatesPerSession trickles more candidates than a session may
// have.
func TestCandidatesPerSession(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	e := net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Capacity: 100})
	n := newNode(t, net)
	p, err := dialAs(t, n, "")
	if err != nil {
		t.Fatal(err)
	}
	joined := fakeJoin(t, p, "")
	limit := signaling.DefaultLimits().CandidatesPerSession
	for i := range limit + 10 {
		c := signaling.Candidate{Candidate: fmt.Sprintf("candidate:%d 1 udp 1 127.0.0.1 %d typ host", i, 10000+i)}
		if err := p.Send(signaling.Message{Type: signaling.TypeCandidate, Candidate: &c}); err != nil {
			t.Fatal(err)
		}
	}
	// The session goroutine applies messages in order: the titles answer
	// comes after every candidate was handled.
	if err := p.Send(signaling.Message{Type: signaling.TypeTitles}); err != nil {
		t.Fatal(err)
	}
	var errs []signaling.Message
	for {
		m, err := p.Await(wait(t), signaling.TypeError, signaling.TypeTitles)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == signaling.TypeTitles {
			break
		}
		errs = append(errs, m)
	}
	got := len(e.Candidates(joined.Session))
	t.Logf("tried %d candidates for one session: the edge got %d, the player %d error(s): %+v", limit+10, got, len(errs), errs)
	if got != limit {
		t.Errorf("edge got %d candidates, want %d", got, limit)
	}
	if len(errs) != 1 || errs[0].Code != api.CodeRateLimited {
		t.Errorf("errors %+v, want one rate_limited", errs)
	}
	// A new session starts a new count.
	joined = fakeJoin(t, p, "")
	// (The fake edge may reuse an ended session's id, and its list.)
	before := len(e.Candidates(joined.Session))
	c := signaling.Candidate{Candidate: "candidate:0 1 udp 1 127.0.0.1 9 typ host"}
	if err := p.Send(signaling.Message{Type: signaling.TypeCandidate, Candidate: &c}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new session's candidate to reach the edge", func() bool { return len(e.Candidates(joined.Session)) == before+1 })
}
