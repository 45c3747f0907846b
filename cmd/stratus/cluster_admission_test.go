package main

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"stratus/edge/api"
	"stratus/signaling"
)

// admissionMonitor polls every edge's /v1/status while a test runs and
// remembers any moment at which an edge admitted more than its capacity or
// reported counts that do not add up.
type admissionMonitor struct {
	mu         sync.Mutex
	violations []string
	polls      int
	maxActive  map[string]int
	stop       chan struct{}
	done       chan struct{}
}

func watchAdmission(edges []*edgeNode) *admissionMonitor {
	m := &admissionMonitor{maxActive: map[string]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for {
			for _, e := range edges {
				if e.Exited() {
					continue
				}
				st, err := edgeStatus(e)
				if err != nil {
					continue // killed on purpose, or busy: the next round looks again
				}
				m.mu.Lock()
				m.polls++
				m.maxActive[e.name] = max(m.maxActive[e.name], st.Active)
				if st.Active > st.Capacity || st.Active < 0 || st.Free != st.Capacity-st.Active || len(st.Sessions) > st.Active {
					m.violations = append(m.violations, fmt.Sprintf("%s at %s: active %d, free %d, capacity %d, %d sessions listed",
						e.name, time.Now().Format("15:04:05.000"), st.Active, st.Free, st.Capacity, len(st.Sessions)))
				}
				m.mu.Unlock()
			}
			select {
			case <-m.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return m
}

func (m *admissionMonitor) finish(t *testing.T) {
	t.Helper()
	close(m.stop)
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	t.Logf("admission monitor: %d status polls, highest active per edge %v", m.polls, m.maxActive)
	if m.polls == 0 {
		t.Error("admission monitor never read an edge's status")
	}
	for _, v := range m.violations {
		t.Errorf("edge status out of bounds: %s", v)
	}
}

// TestClusterAdmission: two signaling nodes share the edges' pools; three
// edges of capacity 2 take exactly 6 of 12 concurrent joins (split over
// both nodes), the other 6 hear edge_full (the nodes queue no one), and no
// edge ever reports more active sessions than its capacity. An edge killed with kill -9 takes its
// sessions along without disturbing the others' counts; a freed slot is
// found again through the other node; and once the players leave every
// slot is free again.
func TestClusterAdmission(t *testing.T) {
	c := newCluster(t)
	// Without a queue: refusals show what the edges admitted, and a freed
	// slot goes to the newcomer, not to a player in line.
	noQueue := []string{"-queue-per-title", "0"}
	s1 := c.startSignal(signalOpts{name: "signal-1", extra: noQueue})
	s2 := c.startSignal(signalOpts{name: "signal-2", join: s1, extra: noQueue})
	e1 := c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s1})
	e2 := c.startEdge(edgeOpts{name: "eu-west-2", region: "eu-west", join: s2})
	e3 := c.startEdge(edgeOpts{name: "us-east-1", region: "us-east", join: s1})
	all := []string{"eu-west-1", "eu-west-2", "us-east-1"}
	for _, s := range []*signalNode{s1, s2} {
		waitEdges(t, s, 15*time.Second, all, func(e edgeView) bool { return okEdge(e) && e.Free == 2 })
	}
	edges := map[string]*edgeNode{e1.name: e1, e2.name: e2, e3.name: e3}
	mon := watchAdmission([]*edgeNode{e1, e2, e3})

	// 12 players, alternately on each node, all greeted before any joins.
	const n = 12
	players := make([]*player, n)
	for i := range players {
		s := []*signalNode{s1, s2}[i%2]
		players[i] = dialPlayer(t, fmt.Sprintf("player-%d@%s", i, s.name), s.url)
	}
	results := make([]signaling.Message, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, p := range players {
		wg.Go(func() {
			<-start
			results[i], errs[i] = p.join("testpattern", true)
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	t.Logf("12 concurrent joins answered in %v (load %s)", time.Since(t0).Round(time.Millisecond), loadAvg())

	perEdge := map[string][]*player{}
	codes := map[string]int{}
	for i, m := range results {
		if errs[i] != nil {
			t.Fatalf("%s: %v", players[i].name, errs[i])
		}
		switch m.Type {
		case signaling.TypeJoined:
			perEdge[m.Edge] = append(perEdge[m.Edge], players[i])
		case signaling.TypeError:
			codes[m.Code]++
		}
	}
	summary := fmt.Sprintf("joined per edge %v, errors by code %v", counts(perEdge), codes)
	t.Log(summary)
	joined := 0
	for _, ps := range perEdge {
		joined += len(ps)
	}
	if joined != 6 || codes[api.CodeEdgeFull] != n-6 || len(codes) != 1 {
		t.Fatalf("want exactly 6 joined (total capacity) and 6 edge_full: %s", summary)
	}
	for _, name := range all {
		if len(perEdge[name]) != 2 {
			t.Fatalf("edge %s got %d players, want 2: %s", name, len(perEdge[name]), summary)
		}
	}
	// The sessions are real: each player completes ICE with its edge.
	poll(t, 20*time.Second, "every joined player to connect to its edge", func() (bool, string) {
		var waiting []string
		for _, ps := range perEdge {
			for _, p := range ps {
				if !p.connected() {
					waiting = append(waiting, p.name+":"+p.pc.ConnectionState().String())
				}
			}
		}
		return len(waiting) == 0, strings.Join(waiting, " ")
	})
	for _, name := range all {
		waitActive(t, edges[name], 2)
	}

	// kill -9 one edge: the others keep their counts, and both nodes drop it.
	killed := e2
	killedAt := killed.Kill()
	rest := []string{"eu-west-1", "us-east-1"}
	for _, s := range []*signalNode{s1, s2} {
		waitEdges(t, s, 15*time.Second, rest, nil)
	}
	t.Logf("%s gone from both nodes' edge lists %v after kill -9", killed.name, time.Since(killedAt).Round(time.Millisecond))
	for _, name := range rest {
		waitActive(t, edges[name], 2)
	}
	// Its players' sockets are still open; more joins find every slot taken.
	for i, p := range perEdge[killed.name] {
		m, err := p.join("testpattern", false, killed.name)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type != signaling.TypeError || m.Code != api.CodeEdgeFull {
			t.Fatalf("player %d of the killed edge rejoined with %s/%s %s, want edge_full (all slots taken)", i, m.Type, m.Code, m.Edge)
		}
	}

	// A slot freed on eu-west-1 (a player leaves through signal-1) is found
	// by a newcomer on signal-2.
	leaver := perEdge["eu-west-1"][0]
	if err := leaver.leave(); err != nil {
		t.Fatal(err)
	}
	waitActive(t, e1, 1)
	poll(t, 10*time.Second, "signal-2 to see eu-west-1's free slot", func() (bool, string) {
		list, err := edgesOf(s2)
		if err != nil {
			return false, err.Error()
		}
		for _, e := range list {
			if e.Name == "eu-west-1" && e.Free == 1 {
				return true, ""
			}
		}
		return false, describeEdges(list)
	})
	newcomer := dialPlayer(t, "newcomer@signal-2", s2.url)
	m, err := newcomer.join("testpattern", true)
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != signaling.TypeJoined || m.Edge != "eu-west-1" {
		t.Fatalf("newcomer got %s/%s on %q (%s), want joined on eu-west-1", m.Type, m.Code, m.Edge, m.Message)
	}
	waitActive(t, e1, 2)

	// Everyone goes: half say leave, half just close their socket. Every
	// slot of the surviving edges comes back.
	stillOn := append(append([]*player{newcomer}, perEdge["eu-west-1"][1:]...), perEdge["us-east-1"]...)
	for i, p := range stillOn {
		if i%2 == 0 {
			if err := p.leave(); err != nil {
				t.Fatal(err)
			}
		} else {
			p.ws.Close()
		}
	}
	for _, name := range rest {
		waitActive(t, edges[name], 0)
	}
	for _, p := range players {
		p.close()
	}
	for _, s := range []*signalNode{s1, s2} {
		waitEdges(t, s, 10*time.Second, rest, func(e edgeView) bool { return e.Free == e.Capacity })
	}
	mon.finish(t)
}

// waitActive waits until an edge reports exactly n sessions, free slots to
// match.
func waitActive(t *testing.T, e *edgeNode, n int) {
	t.Helper()
	poll(t, 15*time.Second, fmt.Sprintf("%s to report %d active", e.name, n), func() (bool, string) {
		st, err := edgeStatus(e)
		if err != nil {
			return false, err.Error()
		}
		return st.Active == n && st.Free == st.Capacity-n && len(st.Sessions) == n,
			fmt.Sprintf("active %d free %d capacity %d sessions %d", st.Active, st.Free, st.Capacity, len(st.Sessions))
	})
}

func counts(m map[string][]*player) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s:%d", k, len(v)))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
