package signaling

import (
	"context"
	"reflect"
	"testing"
	"time"

	"stratus/edge/api"
	"stratus/internal/edgenet"
	"stratus/signaling/route"
	"stratus/signaling/studio"
)

func TestEdgeReports(t *testing.T) {
	net := edgenet.New()
	defer net.Close()
	chess := edgenet.Title("chess")
	chess.Runnable, chess.Reason, chess.Version = false, "runtime wasm not installed", "1.2.0"
	net.Start(edgenet.EdgeConfig{Name: "eu-2", Region: "eu", Titles: []api.Title{edgenet.Title("rocks"), chess}})
	net.Start(edgenet.EdgeConfig{Name: "us-1", Region: "us"})
	net.Start(edgenet.EdgeConfig{Name: "eu-gone", Region: "eu"}).Close()
	f := newFanout(net, newEdgeClients(nil, ""), time.Now)

	got := f.edgeReports(context.Background())
	want := map[string][]studio.EdgeStatus{
		"rocks": {{Edge: "eu-2", Region: "eu", Runnable: true}, {Edge: "us-1", Region: "us", Runnable: true}},
		"chess": {{Edge: "eu-2", Region: "eu", Version: "1.2.0", Reason: "runtime wasm not installed"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reports %+v\nwant %+v", got, want)
	}
}

// TestTitlesAsked: an edge is asked for its titles only while it may offer
// one not yet described; one that gossips a digest may offer anything.
func TestTitlesAsked(t *testing.T) {
	net := edgenet.New()
	defer net.Close()
	net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Titles: []api.Title{edgenet.Title("rocks"), edgenet.Title("chess")}})
	// Listed with titles eu-1 describes, and unreachable: the listing does
	// without it.
	net.Start(edgenet.EdgeConfig{Name: "eu-2", Region: "eu"}).Close()
	digest := net.Start(edgenet.EdgeConfig{Name: "eu-3", Region: "eu", Titles: []api.Title{edgenet.Title("rocks"), edgenet.Title("maze")}})
	net.Update("eu-3", func(e *route.Edge) { e.Meta.Titles, e.Meta.TitlesDigest = nil, "sha256:1234" })
	f := newFanout(net, newEdgeClients(nil, ""), time.Now)

	ts, err := f.titles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	if !reflect.DeepEqual(ids, []string{"chess", "maze", "rocks"}) {
		t.Errorf("titles %v", ids)
	}

	// Edges that fail to list their sessions are left out of the listing.
	digest.AddSession(api.SessionInfo{ID: "s", Started: time.Now()})
	if ss := f.sessions(context.Background()); len(ss) != 1 || ss[0].ID != "s" {
		t.Errorf("sessions %+v", ss)
	}
}
