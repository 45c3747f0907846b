package signaling_test

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"stratus/edge/api"
	"stratus/internal/edgenet"
	"stratus/internal/player"
	"stratus/signaling"
)

// lineUp is a node on one edge of capacity 1 that holds to it, with the
// queue q; the edge is returned for what it was asked.
func lineUp(t *testing.T, q signaling.Queue) (*node, *edgenet.Edge) {
	t.Helper()
	net := edgenet.New()
	e := net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Capacity: 1, Slots: true})
	n := newNode(t, net, func(c *signaling.Config) { c.Queue = q })
	return n, e
}

// testQueue is the default queue but for a retry slow enough that a test
// passing shows the events, not the fallback, placed the player.
func testQueue() signaling.Queue {
	q := signaling.DefaultQueue()
	q.Retry = time.Minute
	return q
}

// playerAt connects a player from the loopback address 127.0.0.i: each is
// another client, with session slots of its own.
func playerAt(t *testing.T, n *node, i int) *player.Player {
	t.Helper()
	p, err := dialAs(t, n, fmt.Sprintf("127.0.0.%d", i))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sendJoin sends a join for rocks with an offer the fake edge does not
// read.
func sendJoin(t *testing.T, p *player.Player) {
	t.Helper()
	if err := p.Send(signaling.Message{Type: signaling.TypeJoin, Title: "rocks", SDP: "v=0 (fake offer)"}); err != nil {
		t.Fatal(err)
	}
}

// answer is the next joined, error or queued message.
func answer(t *testing.T, p *player.Player) signaling.Message {
	t.Helper()
	m, err := p.Await(wait(t), signaling.TypeJoined, signaling.TypeError, signaling.TypeQueued)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// wantQueued checks that m places the player at pos in the line for rocks.
func wantQueued(t *testing.T, who string, m signaling.Message, pos int) {
	t.Helper()
	if m.Type != signaling.TypeQueued || m.Title != "rocks" || m.Position != pos || m.Ahead == nil || *m.Ahead != pos-1 {
		t.Fatalf("%s: %+v (ahead %v), want queued at %d for rocks", who, m, m.Ahead, pos)
	}
}

func wantJoined(t *testing.T, who string, m signaling.Message) {
	t.Helper()
	if m.Type != signaling.TypeJoined || m.Edge != "eu-1" || m.SDP == "" || m.Session == "" {
		t.Fatalf("%s: %+v, want joined on eu-1", who, m)
	}
}

// TestQueue: with the one slot taken, the next players wait in line and
// see their places; one leaving moves those behind up, and the slot freed
// goes to the head, whose join then goes on as any other.
func TestQueue(t *testing.T) {
	noLeaks(t)
	n, e := lineUp(t, testQueue())
	first, second, third := playerAt(t, n, 1), playerAt(t, n, 2), playerAt(t, n, 3)
	sendJoin(t, first)
	wantJoined(t, "first", answer(t, first))
	sendJoin(t, second)
	wantQueued(t, "second", answer(t, second), 1)
	sendJoin(t, third)
	wantQueued(t, "third", answer(t, third), 2)
	if got := signaling.Waiting(n.Server, "rocks"); got != 2 {
		t.Errorf("%d waiting, want 2", got)
	}

	// The second goes away: the third moves up at once.
	second.Close()
	wantQueued(t, "third after the second left", answer(t, third), 1)

	// A candidate sent in line is kept for the session to come.
	cand := signaling.Candidate{Candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host"}
	if err := third.Send(signaling.Message{Type: signaling.TypeCandidate, Candidate: &cand}); err != nil {
		t.Fatal(err)
	}

	// The first leaves: its slot goes to the head of the line.
	if err := first.Leave(); err != nil {
		t.Fatal(err)
	}
	var stages []string
	for {
		m, err := third.Await(wait(t), signaling.TypeStatus, signaling.TypeJoined, signaling.TypeError, signaling.TypeQueued)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == signaling.TypeStatus {
			stages = append(stages, m.Stage+" "+m.Edge)
			continue
		}
		wantJoined(t, "third once the first left", m)
		eventually(t, "the held candidate to reach the session", func() bool {
			return len(e.Candidates(m.Session)) == 1
		})
		break
	}
	if len(stages) != 1 || stages[0] != "starting eu-1" {
		t.Errorf("status before joined %q, want one starting eu-1", stages)
	}
	length, placed := signaling.QueueMetrics(n.Server, "rocks", "placed")
	_, left := signaling.QueueMetrics(n.Server, "rocks", "left")
	if length != 0 || placed != 1 || left != 1 {
		t.Errorf("queue length %v, waits placed %d and left %d; want 0, 1, 1", length, placed, left)
	}
}

// TestQueueEnds: the limits of the line and the ways a wait ends.
func TestQueueEnds(t *testing.T) {
	tests := []struct {
		name string
		q    func(*signaling.Queue)
		// run goes on from a node whose one slot is taken, and a second
		// player, queued at the head.
		run func(t *testing.T, n *node, second *player.Player)
	}{
		{
			name: "a full line refuses as edge_full",
			q:    func(q *signaling.Queue) { q.PerTitle = 1 },
			run: func(t *testing.T, n *node, second *player.Player) {
				third := playerAt(t, n, 3)
				sendJoin(t, third)
				if m := answer(t, third); m.Type != signaling.TypeError || m.Code != api.CodeEdgeFull {
					t.Fatalf("third: %+v, want edge_full", m)
				}
			},
		},
		{
			name: "no queue: refused as edge_full at once",
			q:    func(q *signaling.Queue) { q.PerTitle = 0 },
		},
		{
			name: "a wait too long ends with queue_timeout",
			q:    func(q *signaling.Queue) { q.Wait = 200 * time.Millisecond },
			run: func(t *testing.T, n *node, second *player.Player) {
				m := answer(t, second)
				if m.Type != signaling.TypeError || m.Code != api.CodeQueueTimeout {
					t.Fatalf("second: %+v, want queue_timeout", m)
				}
				t.Logf("after the wait: %q", m.Message)
				if _, n := signaling.QueueMetrics(n.Server, "rocks", "timeout"); n != 1 {
					t.Errorf("%d waits timed out, want 1", n)
				}
				// Its session slot is free again: the player may wait anew.
				sendJoin(t, second)
				wantQueued(t, "second joining again", answer(t, second), 1)
			},
		},
		{
			name: "a queued player holds their session slot",
			run: func(t *testing.T, n *node, second *player.Player) {
				again := playerAt(t, n, 2) // another tab of the second
				sendJoin(t, again)
				if m := answer(t, again); m.Type != signaling.TypeError || m.Code != api.CodeRateLimited {
					t.Fatalf("second's other tab: %+v, want rate_limited", m)
				}
			},
		},
		{
			name: "a leave gives the place up at once",
			run: func(t *testing.T, n *node, second *player.Player) {
				third := playerAt(t, n, 3)
				sendJoin(t, third)
				wantQueued(t, "third", answer(t, third), 2)
				if err := second.Leave(); err != nil {
					t.Fatal(err)
				}
				wantQueued(t, "third after the second left", answer(t, third), 1)
			},
		},
		{
			name: "a new join gives the place up and waits at the end",
			run: func(t *testing.T, n *node, second *player.Player) {
				third := playerAt(t, n, 3)
				sendJoin(t, third)
				wantQueued(t, "third", answer(t, third), 2)
				sendJoin(t, second)
				wantQueued(t, "second joining again", answer(t, second), 2)
				wantQueued(t, "third", answer(t, third), 1)
			},
		},
		{
			name: "closing the node ends the waits at once",
			run: func(t *testing.T, n *node, second *player.Player) {
				began := time.Now()
				n.Close()
				if d := time.Since(began); d > 2*time.Second {
					t.Errorf("Close took %v with a player in line", d)
				}
				for {
					if _, err := second.Next(wait(t)); err == io.EOF {
						break
					} else if err != nil {
						t.Fatalf("the queued player's socket: %v, want it closed", err)
					}
				}
				if _, n := signaling.QueueMetrics(n.Server, "rocks", "closed"); n != 1 {
					t.Errorf("%d waits ended by closing, want 1", n)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			q := testQueue()
			if tt.q != nil {
				tt.q(&q)
			}
			n, _ := lineUp(t, q)
			first, second := playerAt(t, n, 1), playerAt(t, n, 2)
			sendJoin(t, first)
			wantJoined(t, "first", answer(t, first))
			sendJoin(t, second)
			m := answer(t, second)
			if q.PerTitle == 0 {
				if m.Type != signaling.TypeError || m.Code != api.CodeEdgeFull {
					t.Fatalf("second: %+v, want edge_full", m)
				}
				return
			}
			wantQueued(t, "second", m, 1)
			tt.run(t, n, second)
		})
	}
}

// TestQueueFallback: room no event tells of (an edge whose listing this
// node does not see change) is found by the head's periodic look.
func TestQueueFallback(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	var full atomic.Bool
	full.Store(true)
	net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Create: func(_ context.Context, e *edgenet.Edge, req api.CreateRequest) (api.CreateResponse, error) {
		if full.Load() {
			return api.CreateResponse{}, api.Errorf(api.CodeEdgeFull, "full for the test")
		}
		return e.Admit(req), nil
	}})
	n := newNode(t, net, func(c *signaling.Config) { c.Queue.Retry = 50 * time.Millisecond })
	p := playerAt(t, n, 1)
	sendJoin(t, p)
	wantQueued(t, "player", answer(t, p), 1)
	full.Store(false)
	wantJoined(t, "player", answer(t, p))
}
