package signaling

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/internal/edgenet"
	"stratus/signaling/route"
	"stratus/signaling/studio"
	"stratus/title/manifest"
)

// TestStaticDir: without gossip, the node learns its edges' state by
// polling their status and titles.
func TestStaticDir(t *testing.T) {
	net := edgenet.New()
	defer net.Close()
	chess := edgenet.Title("chess")
	chess.Runnable = false
	a := net.Start(edgenet.EdgeConfig{Name: "a", Region: "eu", Titles: []api.Title{edgenet.Title("rocks"), chess}, Capacity: 2, Free: 1})
	b := net.Start(edgenet.EdgeConfig{Name: "b", Region: "us"})
	d := newStaticDir([]string{a.URL(), b.URL()}, "http://self.test", "", discard())
	defer d.Close()
	ix := route.NewIndex(newTestRouter(t))
	d.Track(ix)

	byName := func() map[string]route.Edge {
		out := map[string]route.Edge{}
		for _, e := range d.Edges() {
			out[e.Name] = e
		}
		return out
	}
	edges := byName()
	if m := edges["a"].Meta; len(edges) != 2 || m.Role != cluster.RoleEdge || m.Region != "eu" || m.API != a.URL() ||
		m.Probe != a.URL()+"/v1/probe" || m.Capacity != 2 || m.Free != 1 || !slices.Equal(m.Titles, []string{"rocks"}) || m.Health != cluster.HealthOK {
		t.Fatalf("edges %+v", edges)
	}

	a.SetStatus(func(s *api.Status) { s.Free, s.Health = 0, string(cluster.HealthDraining) })
	b.Close()
	d.Refresh(context.Background())
	edges = byName()
	if m := edges["a"].Meta; len(edges) != 1 || m.Free != 0 || m.Health != cluster.HealthDraining {
		t.Fatalf("after a change and a failure: %+v", edges)
	}
	if e, ok := ix.Edge("a"); ix.Len() != 1 || !ok || e.Meta.Health != cluster.HealthDraining {
		t.Fatalf("the index after a change and a failure: %+v", ix.Edges())
	}

	if s := d.Signals(); !slices.Equal(s, []string{"http://self.test"}) {
		t.Errorf("signals %v", s)
	}
	if s := (&staticDir{}).Signals(); s != nil {
		t.Errorf("signals without a public URL: %v", s)
	}
	d.Close()
	d.Close()
}

// TestGossip: a node in gossip pools learns the edges and the signaling
// nodes there, and gossips its studio catalog's revisions.
func TestGossip(t *testing.T) {
	pool := func(name, pool string, seeds ...string) cluster.PoolConfig {
		return cluster.PoolConfig{Pool: pool, Name: name, BindAddr: "127.0.0.1", Join: seeds, Dev: true, Profile: cluster.ProfileLocal}
	}
	cfg := DefaultConfig()
	cfg.Name, cfg.Region, cfg.PublicURL = "sig-1", "eu", "http://sig-1.test"
	cfg.Location = &cluster.Location{Lat: 48.86, Lon: 2.35}
	cfg.LAN = []cluster.PoolConfig{pool("sig-1", cluster.LANPool("eu"))}
	wan := pool("sig-1", cluster.WANPool)
	cfg.WAN = &wan
	cfg.Studio = &studio.Config{DataDir: t.TempDir(), Keys: map[string][]string{"acme": {"acme-key-0123456789"}}}
	s, err := New(cfg, nil, nil, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	g := s.dir.(*gossipDir)

	edgeMeta := cluster.Meta{Role: cluster.RoleEdge, Region: "eu", API: "http://edge-1.test", Health: cluster.HealthOK, Capacity: 2, Free: 2, Titles: []string{"rocks"}}
	edge, err := cluster.NewPool(pool("edge-1", cluster.LANPool("eu"), g.lan[0].LocalAddr()), edgeMeta, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		edge.Leave(time.Second)
		edge.Close()
	}()
	eventually(t, "the edge in the node's view", func() bool {
		edges := s.dir.Edges()
		return len(edges) == 1 && edges[0].Name == "edge-1" && edges[0].Meta.API == "http://edge-1.test"
	})
	decide := func(title string) route.Decision { return s.choice.decide(s.choice.request(title, nil, nil)) }
	eventually(t, "the edge in the index", func() bool { return decide("rocks").Winner == "edge-1" })
	changed := edgeMeta
	changed.Titles = []string{"chess"}
	if err := edge.SetMeta(changed); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the edge's update in the index", func() bool { return decide("chess").Winner == "edge-1" && decide("rocks").Winner == "" })
	if got := s.dir.Signals(); !slices.Equal(got, []string{"http://sig-1.test"}) {
		t.Errorf("signals %v", got)
	}
	s.dir.Refresh(context.Background()) // gossip is never behind: nothing to do

	// A title published in the studio: the edge hears of the new revision
	// from gossip.
	m, err := manifest.Parse([]byte(`{"id":"rocket","name":"Rocket","version":"1.0.0","runtime":"builtin","input":{"keyboard":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.studio.Store().Create("acme", m); err != nil {
		t.Fatal(err)
	}
	rev := s.studio.Store().Revision()
	eventually(t, "the catalog revision in gossip", func() bool {
		for _, m := range edge.Members() {
			if m.Name == "sig-1" && m.Meta.Catalog == rev {
				return true
			}
		}
		return false
	})

	// The catalog edges replicate is served.
	resp, err := http.Get(srv.URL + "/v1/catalog")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(body) == 0 {
		t.Errorf("catalog: %s %s", resp.Status, body)
	}
	s.Close()
	s.Close()
}

func TestConfigValidate(t *testing.T) {
	valid := DefaultConfig()
	valid.Edges = []string{"http://127.0.0.1:8081"}
	tests := []struct {
		name   string
		change func(*Config)
		ok     bool
	}{
		{"valid", func(*Config) {}, true},
		{"no name", func(c *Config) { c.Name = "" }, false},
		{"no edges and no gossip", func(c *Config) { c.Edges = nil }, false},
		{"bad edge URL", func(c *Config) { c.Edges = []string{"ftp://edge"} }, false},
		{"bad pool", func(c *Config) { c.LAN = []cluster.PoolConfig{{Pool: "lan/eu"}} }, false},
		{"bad WAN pool", func(c *Config) { c.WAN = &cluster.PoolConfig{Pool: "wan"} }, false},
		{"bad route config", func(c *Config) { c.Route.UnknownRTT = -1 }, false},
		{"bad studio", func(c *Config) { c.Studio = &studio.Config{} }, false},
		{"no join timeout", func(c *Config) { c.JoinTimeout = 0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.change(&cfg)
			err := cfg.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate: %v", err)
			}
			if !tt.ok {
				if _, err := New(cfg, nil, nil, discard()); err == nil {
					t.Fatal("New accepted what Validate refuses")
				}
			}
		})
	}
}

// TestTrackEvents: a pool's events keep the index equal to its alive
// edges, and a resync after lost events forgets the edges gone meanwhile.
func TestTrackEvents(t *testing.T) {
	edge := func(name string, state string) cluster.Member {
		return cluster.Member{Name: name, State: state, Meta: testEdge(name, "eu", 1).Meta}
	}
	signal := cluster.Member{Name: "sig", State: cluster.StateAlive, Meta: cluster.Meta{Role: cluster.RoleSignal}}
	ev := func(typ cluster.EventType, m cluster.Member) cluster.Event {
		return cluster.Event{Type: typ, Member: m}
	}
	tests := []struct {
		name   string
		events []cluster.Event
		resync []cluster.Member // members read at the resync after the events, if any
		deny   string           // a member the registry refuses
		want   []string
	}{
		{"joins", []cluster.Event{ev(cluster.EventJoin, edge("a", cluster.StateAlive)), ev(cluster.EventJoin, signal)}, nil, "", []string{"a"}},
		{"leaving", []cluster.Event{ev(cluster.EventJoin, edge("a", cluster.StateAlive)), ev(cluster.EventUpdate, edge("a", cluster.StateLeaving))}, nil, "", nil},
		{"dead", []cluster.Event{ev(cluster.EventJoin, edge("a", cluster.StateAlive)), ev(cluster.EventLeave, edge("a", cluster.StateDead))}, nil, "", nil},
		{"resync", []cluster.Event{ev(cluster.EventJoin, edge("a", cluster.StateAlive)), ev(cluster.EventJoin, edge("b", cluster.StateAlive))},
			[]cluster.Member{edge("b", cluster.StateAlive), edge("c", cluster.StateAlive), edge("d", cluster.StateLeaving), signal}, "", []string{"b", "c"}},
		{"refused by the registry", []cluster.Event{ev(cluster.EventJoin, edge("a", cluster.StateAlive)), ev(cluster.EventJoin, edge("b", cluster.StateAlive))},
			nil, "b", []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := route.NewIndex(newTestRouter(t))
			ix.Put(testEdge("other-pool", "us", 1))
			known := map[string]bool{}
			d := &gossipDir{log: slog.New(slog.DiscardHandler), refused: map[string]string{}}
			if tt.deny != "" {
				d.gate = denyGate(tt.deny)
			}
			for _, e := range tt.events {
				d.apply(ix, e, known)
			}
			if tt.resync != nil {
				d.resync(ix, tt.resync, known)
			}
			var got []string
			for _, e := range ix.Edges() {
				if e.Name != "other-pool" {
					got = append(got, e.Name)
				}
			}
			if !slices.Equal(got, tt.want) || ix.Len() != len(tt.want)+1 {
				t.Fatalf("index holds %v, want %v and the other pool's edge", got, tt.want)
			}
		})
	}
}

// denyGate refuses one member by name.
type denyGate string

func (g denyGate) Allowed(m cluster.Member) error {
	if m.Name == string(g) {
		return errors.New("revoked")
	}
	return nil
}

func (denyGate) Changed() <-chan struct{} { return nil }

func (denyGate) Shortfall(string) (float64, string) { return 0, "" }
func (denyGate) Advertised(string, int)             {}
