package signaling_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"stratus/cluster"
	"stratus/edge"
	"stratus/edge/api"
	"stratus/internal/edgenet"
	"stratus/internal/player"
	"stratus/signaling"
	"stratus/signaling/route"
	"stratus/title/builtin"
)

func TestJoin(t *testing.T) {
	tests := []struct {
		name string
		// edges are started in order, all in the node's region: with
		// nothing else to tell them apart, the router tries them by name.
		edges []edgenet.EdgeConfig
		// setUp changes the network before the player joins.
		setUp  func(t *testing.T, n *node, edges []*edgenet.Edge)
		title  string
		joined string // the edge joined, or "" for an error
		code   string // the error's code
		queued int    // the place in line, for a join every edge refused as full
		// asked counts the joins each edge was asked for.
		asked []int
		check func(t *testing.T, n *node, edges []*edgenet.Edge)
	}{
		{
			name:   "the first choice admits",
			edges:  []edgenet.EdgeConfig{{Name: "eu-1"}, {Name: "eu-2"}},
			joined: "eu-1",
			asked:  []int{1, 0},
		},
		{
			name:   "a full edge is retried on the next",
			edges:  []edgenet.EdgeConfig{{Name: "eu-1", Create: edgenet.Refuse(api.CodeEdgeFull)}, {Name: "eu-2"}},
			joined: "eu-2",
			asked:  []int{1, 1},
		},
		{
			name: "draining and title-less edges are retried on the next",
			edges: []edgenet.EdgeConfig{
				{Name: "eu-1", Create: edgenet.Refuse(api.CodeDraining)},
				{Name: "eu-2", Create: edgenet.Refuse(api.CodeUnknownTitle)},
				{Name: "eu-3"},
			},
			joined: "eu-3",
			asked:  []int{1, 1, 1},
		},
		{
			name: "three edges tried at most, then the player waits in line",
			edges: []edgenet.EdgeConfig{
				{Name: "eu-1", Create: edgenet.Refuse(api.CodeEdgeFull)},
				{Name: "eu-2", Create: edgenet.Refuse(api.CodeEdgeFull)},
				{Name: "eu-3", Create: edgenet.Refuse(api.CodeEdgeFull)},
				{Name: "eu-4"},
			},
			queued: 1,
			asked:  []int{1, 1, 1, 0},
		},
		{
			name:  "a bad offer is not retried: every edge would refuse it",
			edges: []edgenet.EdgeConfig{{Name: "eu-1", Create: edgenet.Refuse(api.CodeBadMessage)}, {Name: "eu-2"}},
			code:  api.CodeBadMessage,
			asked: []int{1, 0},
		},
		{
			name:  "an unreachable edge is passed over, and left out for a while",
			edges: []edgenet.EdgeConfig{{Name: "eu-1"}, {Name: "eu-2"}},
			setUp: func(t *testing.T, n *node, edges []*edgenet.Edge) {
				edges[0].Close()
			},
			joined: "eu-2",
			asked:  []int{0, 1},
			check: func(t *testing.T, n *node, edges []*edgenet.Edge) {
				d := explain(t, n, "rocks")
				if c := candidate(d, "eu-1"); c.Eligible || !strings.Contains(c.Reason, "excluded") {
					t.Errorf("eu-1 after failing a join: %+v", c)
				}
			},
		},
		{
			name:  "no edge answers",
			edges: []edgenet.EdgeConfig{{Name: "eu-1"}},
			setUp: func(t *testing.T, n *node, edges []*edgenet.Edge) {
				edges[0].Close()
			},
			code:  api.CodeNoEdge,
			asked: []int{0},
		},
		{
			name:  "no edge offers the title, even after a fresh look",
			edges: []edgenet.EdgeConfig{{Name: "eu-1"}},
			title: "chess",
			code:  api.CodeUnknownTitle,
			asked: []int{0},
			check: func(t *testing.T, n *node, edges []*edgenet.Edge) {
				if got := n.net.Refreshes(); got != 1 {
					t.Errorf("directory refreshed %d times, want once", got)
				}
			},
		},
		{
			name:  "a title published since the directory last looked",
			edges: []edgenet.EdgeConfig{{Name: "eu-1", Titles: []api.Title{edgenet.Title("rocks"), edgenet.Title("chess")}}},
			setUp: func(t *testing.T, n *node, edges []*edgenet.Edge) {
				n.net.Update("eu-1", func(e *route.Edge) { e.Meta.Titles = []string{"rocks"} })
				n.net.OnRefresh(func() {
					n.net.Update("eu-1", func(e *route.Edge) { e.Meta.Titles = []string{"rocks", "chess"} })
				})
			},
			title:  "chess",
			joined: "eu-1",
			asked:  []int{1},
		},
		{
			name: "no edge at all",
			setUp: func(t *testing.T, n *node, edges []*edgenet.Edge) {
				signaling.SkipWarmUp(n.Server)
			},
			code: api.CodeNoEdge,
		},
		{
			name: "a node just started waits for gossip to find an edge",
			setUp: func(t *testing.T, n *node, edges []*edgenet.Edge) {
				time.AfterFunc(200*time.Millisecond, func() { n.net.Start(edgenet.EdgeConfig{Name: "eu-late", Region: "eu"}) })
			},
			joined: "eu-late",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			net := edgenet.New()
			var edges []*edgenet.Edge
			for _, cfg := range tt.edges {
				cfg.Region = "eu"
				edges = append(edges, net.Start(cfg))
			}
			n := newNode(t, net)
			if tt.setUp != nil {
				tt.setUp(t, n, edges)
			}
			title := tt.title
			if title == "" {
				title = "rocks"
			}
			p := dial(t, n)
			if err := p.SendJoin(player.Join{Title: title}); err != nil {
				t.Fatal(err)
			}
			m, err := p.Await(wait(t), signaling.TypeJoined, signaling.TypeError, signaling.TypeQueued)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.queued != 0 && (m.Type != signaling.TypeQueued || m.Position != tt.queued):
				t.Errorf("answer %+v, want queued at %d", m, tt.queued)
			case tt.queued != 0:
			case tt.joined != "" && (m.Type != signaling.TypeJoined || m.Edge != tt.joined):
				t.Errorf("answer %+v, want joined on %s", m, tt.joined)
			case tt.joined == "" && (m.Type != signaling.TypeError || m.Code != tt.code):
				t.Errorf("answer %+v, want error %s", m, tt.code)
			case m.Type == signaling.TypeJoined && (m.Session == "" || m.SDP == "" || m.Region != "eu"):
				t.Errorf("joined %+v", m)
			}
			for i, want := range tt.asked {
				if got := len(edges[i].Creates()); got != want {
					t.Errorf("%s asked %d times, want %d", tt.edges[i].Name, got, want)
				}
			}
			if tt.check != nil {
				tt.check(t, n, edges)
			}
		})
	}
}

// explain asks the node how it would route a player now.
func explain(t *testing.T, n *node, title string) route.Decision {
	t.Helper()
	resp, err := httpGet(n.URL + "/v1/route?title=" + title)
	if err != nil {
		t.Fatal(err)
	}
	var d route.Decision
	decode(t, resp, &d)
	return d
}

// TestJoinStatus: the page hears which edge is being started, in order,
// before the answer.
func TestJoinStatus(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Create: edgenet.Refuse(api.CodeEdgeFull)})
	net.Start(edgenet.EdgeConfig{Name: "eu-2", Region: "eu"})
	p := dial(t, newNode(t, net))
	if err := p.SendJoin(player.Join{Title: "rocks"}); err != nil {
		t.Fatal(err)
	}
	var stages []string
	for {
		m, err := p.Await(wait(t), signaling.TypeStatus, signaling.TypeJoined, signaling.TypeError)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type != signaling.TypeStatus {
			break
		}
		stages = append(stages, m.Stage+" "+m.Edge)
	}
	if got, want := strings.Join(stages, ", "), "routing , starting eu-1, starting eu-2"; got != want {
		t.Errorf("status %q, want %q", got, want)
	}
}

// TestPlayOnARealEdge: a Pion player joins through the node, reaches a real
// edge, connects and receives video; leaving ends the session there.
func TestPlayOnARealEdge(t *testing.T) {
	net := edgenet.New()
	cl := startEdge(t, net, "eu-real", "eu")
	n := newNode(t, net)
	p := dial(t, n)
	ctx := wait(t)
	m, err := p.JoinAndWait(ctx, player.Join{Title: "testpattern"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != signaling.TypeJoined || m.Edge != "eu-real" || m.Region != "eu" {
		t.Fatalf("answer %+v", m)
	}
	if err := p.Connect(ctx, m); err != nil {
		t.Fatal(err)
	}
	if ss, err := cl.Sessions(ctx); err != nil || len(ss) != 1 || ss[0].ID != m.Session {
		t.Fatalf("edge sessions %+v (%v), want %s", ss, err, m.Session)
	}
	if err := p.Leave(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the edge to end the session", func() bool {
		ss, err := cl.Sessions(ctx)
		return err == nil && len(ss) == 0
	})
}

// startEdge runs a real edge with the built-in titles on loopback and lists
// it in net as gossip would; it closes with the test.
func startEdge(t *testing.T, net *edgenet.Net, name, region string) *api.Client {
	t.Helper()
	cfg := edge.DefaultConfig()
	cfg.Name, cfg.Region, cfg.Capacity = name, region, 1
	cfg.Stream.ListenIP, cfg.Stream.UDPPort, cfg.Stream.TCPPort = "127.0.0.1", 0, -1
	cat, err := builtin.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	e, err := edge.New(cfg, cat, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(func() {
		srv.Close()
		e.Close()
	})
	cl, err := api.NewClient(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := cl.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	titles, err := cl.Titles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tt := range titles {
		ids = append(ids, tt.ID)
	}
	net.Add(route.Edge{Name: name, Meta: cluster.Meta{
		Role: cluster.RoleEdge, Region: region, API: srv.URL, Probe: srv.URL + "/v1/probe", Media: st.MediaUDP,
		Capacity: st.Capacity, Free: st.Free, Health: cluster.HealthOK, Titles: ids, Version: 1,
	}})
	return cl
}
