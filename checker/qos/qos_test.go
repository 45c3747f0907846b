package qos

import (
	"crypto/ed25519"
	"math"
	"testing"
	"time"
)

func good(edge string, at time.Time) Report {
	return Report{Result: Result{Edge: edge, At: at, FPS: 60, G2G: Latency{P50: 20, P99: 30, N: 300}, Input: Latency{P50: 35, N: 8}}, OK: true}
}

func TestScore(t *testing.T) {
	now := time.Now()
	slow := good("e", now)
	slow.FPS = 20 // claims 60, delivers 20
	laggy := good("e", now)
	laggy.G2G.P99 = 150
	lossy := good("e", now)
	lossy.Loss = 0.05
	failed := Report{Result: Result{Edge: "e", At: now}, Error: "edge_full: refused the join it advertised room for"}
	for _, c := range []struct {
		name string
		rep  Report
		want float64
	}{
		{"healthy", good("e", now), 1},
		{"a third of the frames", slow, 1.0 / 3},
		{"glass-to-glass p99 150 ms", laggy, 0.5},
		{"5% loss", lossy, 0.5},
		{"failed", failed, 0},
	} {
		if got := Score(c.rep, 60); math.Abs(got-c.want) > 0.01 {
			t.Errorf("%s: score %.3f, want %.3f", c.name, got, c.want)
		}
	}
}

func TestBookKeepsRecentChecks(t *testing.T) {
	now := time.Now()
	b := NewBook(3, time.Minute, 60)
	b.now = func() time.Time { return now }
	b.Add("c", good("e", now.Add(-2*time.Minute))) // too old to count
	b.Add("c", good("e", now.Add(-20*time.Second)))
	b.Add("c", Report{Result: Result{Edge: "e", At: now.Add(-10 * time.Second)}, Error: "no frame"})
	b.Add("c", Report{Result: Result{Edge: "e", At: now}, Skipped: "no spare room"}) // says nothing
	st, ok := b.Standing("e")
	if !ok || st.Checks != 2 || math.Abs(st.Score-0.5) > 0.01 || st.Error != "no frame" || st.Checker != "c" {
		t.Fatalf("standing %+v", st)
	}
	if _, ok := b.Standing("unknown"); ok {
		t.Error("a standing for an edge never checked")
	}
}

func TestSignedReports(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	otherPub, _, _ := ed25519.GenerateKey(nil)
	s, err := Sign("checker-1", key, good("e", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Open(pub); err != nil || rep.Edge != "e" {
		t.Fatalf("open: %+v %v", rep, err)
	}
	if _, err := s.Open(otherPub); err == nil {
		t.Error("opened with another key")
	}
	renamed := s
	renamed.Checker = "checker-2"
	if _, err := renamed.Open(pub); err == nil {
		t.Error("a report passed under another checker's name")
	}
	altered := s
	altered.Report = []byte(string(s.Report[:len(s.Report)-1]) + " }")
	if _, err := altered.Open(pub); err == nil {
		t.Error("an altered report opened")
	}
}
