package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"stratus/checker/qos"
	"stratus/internal/pgtest"
	play "stratus/internal/player"
	"stratus/signaling"
	"stratus/signaling/route"
)

// TestClusterSlowEdgeLoses: an edge that delivers 20 fps while its title
// promises 60 (its test hook) scores below an honest edge of its region
// once the checker has played both, and new players go to the honest one.
func TestClusterSlowEdgeLoses(t *testing.T) {
	s := liarCluster(t, "slow")
	var liar, honest *qos.Standing
	poll(t, 40*time.Second, "the checker to score the slow edge below the honest one", func() (bool, string) {
		var err error
		if liar, honest, err = standings(s); err != nil {
			return false, err.Error()
		}
		if liar == nil || honest == nil {
			return false, fmt.Sprintf("slow %+v, honest %+v", liar, honest)
		}
		return liar.Score < honest.Score && liar.FPS < 35, fmt.Sprintf("slow %.2f at %.1f fps, honest %.2f at %.1f fps",
			liar.Score, liar.FPS, honest.Score, honest.FPS)
	})
	t.Logf("slow edge: score %.2f, %.1f fps; honest edge: score %.2f, %.1f fps", liar.Score, liar.FPS, honest.Score, honest.FPS)
	routedAway(t, s, "checks short")
}

// TestClusterRefusingEdgeCaught: an edge that answers edge_full to every
// session while gossip advertises its free slots is caught: the checker
// reports its refused checks as failed, the signaling node counts the
// refusals against it and shows them, its score drops to 0, and players
// go to the honest edge without seeing an error.
func TestClusterRefusingEdgeCaught(t *testing.T) {
	s := liarCluster(t, "refuse")
	var liar *qos.Standing
	poll(t, 40*time.Second, "the signaling node to convict the refusing edge", func() (bool, string) {
		var err error
		if liar, _, err = standings(s); err != nil {
			return false, err.Error()
		}
		if liar == nil {
			return false, "no qos for the refusing edge yet"
		}
		return liar.Refused >= 3 && liar.Score == 0, fmt.Sprintf("refused %d, score %.2f, %s", liar.Refused, liar.Score, liar.Error)
	})
	t.Logf("refusing edge: %d refusals, score %.2f, last check: %s", liar.Refused, liar.Score, liar.Error)
	if !strings.Contains(liar.Error, "refused a check while advertising") {
		t.Errorf("the checker's report does not say the edge refused: %q", liar.Error)
	}
	routedAway(t, s, "refuses advertised slots")

	req, _ := http.NewRequest(http.MethodGet, s.url+"/metrics", nil)
	resp, err := s.op.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `stratus_signal_edge_refusals_total{edge="eu-west-1",verdict="lied"}`) {
		t.Errorf("no refusal counter for eu-west-1 in the signaling node's metrics")
	}
}

// TestClusterSharedRefusals: two signaling processes on one PostgreSQL
// (-db); the checker reports to signal-1 only, so its refused checks are
// judged there, and signal-2, through which no check and no join went,
// scores both edges and convicts the refusing one from what signal-1
// shared through the ledger.
func TestClusterSharedRefusals(t *testing.T) {
	dsn := pgtest.Start(t)
	c := newCluster(t)
	s1 := c.startSignal(signalOpts{name: "signal-1", extra: []string{"-db", dsn}})
	s2 := c.startSignal(signalOpts{name: "signal-2", join: s1, extra: []string{"-db", dsn}})
	c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s1,
		env: []string{testHooksEnv + "=1"}, extra: []string{"-test-misbehave", "refuse"}})
	c.startEdge(edgeOpts{name: "eu-west-2", region: "eu-west", join: s1})
	for _, s := range []*signalNode{s1, s2} {
		waitEdges(t, s, 15*time.Second, []string{"eu-west-1", "eu-west-2"}, okEdge)
	}
	c.startChecker(s1, "3s")
	var liar, honest *qos.Standing
	poll(t, 40*time.Second, "signal-2 to convict the refusing edge on signal-1's verdicts", func() (bool, string) {
		var err error
		if liar, honest, err = standings(s2); err != nil {
			return false, err.Error()
		}
		if liar == nil || honest == nil {
			return false, fmt.Sprintf("refusing %+v, honest %+v", liar, honest)
		}
		return liar.Refused >= 3 && liar.Score == 0 && honest.Checker == "checker-1",
			fmt.Sprintf("refused %d, score %.2f", liar.Refused, liar.Score)
	})
	t.Logf("on signal-2: refusing edge %d refusals, score %.2f; honest edge score %.2f", liar.Refused, liar.Score, honest.Score)
	routedAway(t, s2, "refuses advertised slots")
}

// liarCluster starts a signaling node, eu-west-1 misbehaving as told,
// eu-west-2 honest, and a checker checking both every 3 s. The liar's
// name ranks it first while nothing tells them apart.
func liarCluster(t *testing.T, misbehave string) *signalNode {
	c := newCluster(t)
	s := c.startSignal(signalOpts{name: "signal-1"})
	c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s,
		env: []string{testHooksEnv + "=1"}, extra: []string{"-test-misbehave", misbehave}})
	c.startEdge(edgeOpts{name: "eu-west-2", region: "eu-west", join: s})
	waitEdges(t, s, 15*time.Second, []string{"eu-west-1", "eu-west-2"}, okEdge)

	c.startChecker(s, "3s")
	return s
}

// standings reads the QoS of eu-west-1 (the liar) and eu-west-2.
func standings(s *signalNode) (liar, honest *qos.Standing, err error) {
	var list []struct {
		Name string        `json:"name"`
		QoS  *qos.Standing `json:"qos"`
	}
	if err := s.getJSON("/v1/edges", &list); err != nil {
		return nil, nil, err
	}
	for _, e := range list {
		switch e.Name {
		case "eu-west-1":
			liar = e.QoS
		case "eu-west-2":
			honest = e.QoS
		}
	}
	return liar, honest, nil
}

// routedAway checks that /v1/route prefers eu-west-2 and says why
// eu-west-1 lost, and that a real player's join lands on eu-west-2.
func routedAway(t *testing.T, s *signalNode, why string) {
	t.Helper()
	var d route.Decision
	if err := s.getJSON("/v1/route?title=testpattern", &d); err != nil {
		t.Fatal(err)
	}
	for _, c := range d.Candidates {
		t.Logf("route: %s: %s", c.Edge, c.Reason)
		if c.Edge == "eu-west-1" && !strings.Contains(c.Reason, why) {
			t.Errorf("eu-west-1's reason does not say %q: %s", why, c.Reason)
		}
	}
	if d.Winner != "eu-west-2" {
		t.Fatalf("route winner %q, want eu-west-2", d.Winner)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	p, err := play.Dial(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	joined, err := p.JoinAndWait(ctx, play.Join{Title: "testpattern"})
	if err != nil || joined.Type != signaling.TypeJoined {
		t.Fatalf("join: %+v %v", joined, err)
	}
	if joined.Edge != "eu-west-2" {
		t.Fatalf("the player joined %s, want eu-west-2", joined.Edge)
	}
	p.Leave()
}
