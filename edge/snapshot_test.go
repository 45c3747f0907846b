package edge

import (
	"context"
	"testing"
	"time"

	"stratus/edge/api"
	"stratus/title"
	"stratus/title/rocks"
)

func TestResumeTokens(t *testing.T) {
	key, other := []byte("cluster key 0123456789abcdef"), []byte("another key")
	now := time.Now()
	l := newLineage()
	tok := sealState(key, "rocks", l, 7, now, []byte(`{"score":1200}`))
	tamper := []byte(tok)
	tamper[10] ^= 1
	tests := []struct {
		name, title, token string
		key                []byte
		at                 time.Time
		ok                 bool
	}{
		{"good", "rocks", tok, key, now, true},
		{"wrong key", "rocks", tok, other, now, false},
		{"other title", "testpattern", tok, key, now, false},
		{"tampered", "rocks", string(tamper), key, now, false},
		{"expired", "rocks", tok, key, now.Add(tokenMaxAge + time.Second), false},
		{"garbage", "rocks", "!!", key, now, false},
		{"short", "rocks", "AAAA", key, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := openState(tt.key, tt.title, tt.token, tt.at)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (string(got.state) != `{"score":1200}` || got.lineage != l || got.seq != 7) {
				t.Fatalf("opened %+v", got)
			}
		})
	}
}

// TestResumeTokensSpent: a token is taken once, and an older token of the
// same lineage (an earlier save) is refused after a newer one; another
// lineage is not affected.
func TestResumeTokensSpent(t *testing.T) {
	s := newSpentTokens()
	now := time.Now()
	a, b := newLineage(), newLineage()
	steps := []struct {
		name string
		tok  resumeToken
		ok   bool
	}{
		{"first use", resumeToken{lineage: a, seq: 3}, true},
		{"replayed", resumeToken{lineage: a, seq: 3}, false},
		{"an older save", resumeToken{lineage: a, seq: 2}, false},
		{"the next save", resumeToken{lineage: a, seq: 4}, true},
		{"another player", resumeToken{lineage: b, seq: 1}, true},
	}
	for _, st := range steps {
		if err := s.take(st.tok, now, nil); (err == nil) != st.ok {
			t.Fatalf("%s: take = %v, want ok=%v", st.name, err, st.ok)
		}
	}
	// A join that never reached its player leaves the token usable.
	c := newLineage()
	connected := false
	if err := s.take(resumeToken{lineage: c, seq: 1}, now, func() bool { return connected }); err != nil {
		t.Fatal(err)
	}
	if err := s.take(resumeToken{lineage: c, seq: 1}, now, func() bool { return connected }); err != nil {
		t.Fatalf("retry after a join that never connected: %v", err)
	}
	connected = true
	if err := s.take(resumeToken{lineage: c, seq: 1}, now, nil); err == nil {
		t.Fatal("a token used by a connected session was taken again")
	}
	// A flood of lineages cannot grow the memory past its bound.
	s.max = 100
	for range 1000 {
		if err := s.take(resumeToken{lineage: newLineage(), seq: 1}, now, nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.by) > 100 {
		t.Fatalf("%d lineages remembered, bound 100", len(s.by))
	}
}

// TestResumeOnce is the attack: a page replays a resume token it already
// used. The edge resumes the first session from it and, once that
// session's player has connected, starts the second afresh.
func TestResumeOnce(t *testing.T) {
	e, c, _ := newTestEdge(t, 2)
	g, err := rocks.New(title.Options{Width: 640, Height: 360, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	state, err := g.Snapshot()
	g.Close()
	if err != nil {
		t.Fatal(err)
	}
	tok := sealState(e.stateKey, "rocks", newLineage(), 1, time.Now(), state)
	for i, want := range []bool{true, false} {
		resp, err := c.CreateSession(context.Background(), api.CreateRequest{Title: "rocks", Offer: offer(t), Resume: tok})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("use %d of the token: resumed %v", i+1, resp.Resumed)
		if resp.Resumed != want {
			t.Fatalf("use %d: resumed %v, want %v", i+1, resp.Resumed, want)
		}
		// No browser here: the player's connection comes up as the
		// peer would report it.
		if r, ok := e.sessions.get(resp.ID); ok {
			r.connected.Store(true)
		}
	}
}
