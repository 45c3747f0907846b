package edge

import (
	"context"
	"testing"
	"time"

	"stratus/edge/api"
	"stratus/title"
	"stratus/title/rocks"
	"stratus/trust/resume"
)

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
	tok := resume.Seal(e.stateKey, "rocks", resume.NewLineage(), 1, time.Now(), state)
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
