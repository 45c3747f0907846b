package edge

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/input"
)

// player is a page played by a Pion peer on loopback: it joins through the
// edge API and keeps what the edge tells it on its input channel.
type player struct {
	id       string
	controls chan input.Control
	pc       *webrtc.PeerConnection
}

func joinPlayer(t *testing.T, c *api.Client) *player {
	t.Helper()
	return joinPlayerTo(t, c, "testpattern")
}

// joinPlayerTo joins a player to title id.
func joinPlayerTo(t *testing.T, c *api.Client, id string) *player {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	var s webrtc.SettingEngine
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(s)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	dc, err := pc.CreateDataChannel("input", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &player{controls: make(chan input.Control, 64), pc: pc}
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		var c input.Control
		if !msg.IsString || json.Unmarshal(msg.Data, &c) != nil {
			return
		}
		select {
		case p.controls <- c:
		default: // the test reads what it needs; stats may pile up
		}
	})
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-gathered
	resp, err := c.CreateSession(context.Background(), api.CreateRequest{Title: id, Offer: pc.LocalDescription().SDP})
	if err != nil {
		t.Fatal(err)
	}
	p.id = resp.ID
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: resp.Answer}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-opened:
	case <-time.After(10 * time.Second):
		t.Fatal("the player's input channel did not open within 10 s")
	}
	return p
}

// moves waits for n requests to move, skipping other messages.
func (p *player) moves(t *testing.T, n int, within time.Duration) []input.Control {
	t.Helper()
	var got []input.Control
	deadline := time.After(within)
	for len(got) < n {
		select {
		case c := <-p.controls:
			if c.Type == input.ControlMove {
				got = append(got, c)
			}
		case <-deadline:
			t.Fatalf("%d requests to move within %v, want %d", len(got), within, n)
		}
	}
	return got
}

// TestDrain: a drain refuses new players and asks the connected ones to
// move, again every second; it ends when the last has left, or ends those
// still there when DrainTimeout is up.
func TestDrain(t *testing.T) {
	tests := []struct {
		name    string
		players int
		leave   bool // the players move once asked twice
		timeout time.Duration
		moves   int // requests each player gets at least
		want    error
	}{
		{name: "no players", timeout: 30 * time.Second},
		{name: "players move", players: 1, leave: true, timeout: 30 * time.Second, moves: 2},
		{name: "players stay", players: 1, timeout: 1500 * time.Millisecond, moves: 1, want: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, c, _ := newTestEdge(t, 1, func(cfg *Config) { cfg.DrainTimeout = tt.timeout })
			var players []*player
			for range tt.players {
				players = append(players, joinPlayer(t, c))
			}
			drained := make(chan error, 1)
			go func() { drained <- e.Drain(context.Background()) }()
			eventually(t, "the edge draining", e.Draining)
			if st := e.Status(); st.Health != string(cluster.HealthDraining) {
				t.Errorf("health %q while draining", st.Health)
			}
			if _, err := c.CreateSession(context.Background(), api.CreateRequest{Title: "testpattern", Offer: offer(t)}); code(err) != api.CodeDraining {
				t.Errorf("join while draining: %v, want %s", err, api.CodeDraining)
			}
			for _, p := range players {
				for _, m := range p.moves(t, tt.moves, 5*time.Second) {
					if m.Reason != "edge test-edge is going out of service" {
						t.Errorf("move reason %q", m.Reason)
					}
				}
				if tt.leave {
					if err := c.DeleteSession(context.Background(), p.id); err != nil {
						t.Fatal(err)
					}
				}
			}
			select {
			case err := <-drained:
				if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
					t.Fatalf("Drain: %v, want %v", err, tt.want)
				}
			case <-time.After(tt.timeout + 5*time.Second):
				t.Fatal("Drain did not return")
			}
			eventually(t, "every session ended", func() bool { return e.Status().Active == 0 })
			if err := e.Drain(context.Background()); err != nil {
				t.Errorf("Drain of a drained edge: %v", err)
			}
		})
	}
}

// TestDrainOverHTTP: the drain an operator starts over the API shows in
// status at once, and belongs to the edge: closing the edge mid-drain ends
// it (noLeaks checks nothing is left).
func TestDrainOverHTTP(t *testing.T) {
	e, c, _ := newTestEdge(t, 1)
	ctx := context.Background()
	if _, err := c.CreateSession(ctx, api.CreateRequest{Title: "testpattern", Offer: offer(t)}); err != nil {
		t.Fatal(err)
	}
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Health != string(cluster.HealthDraining) || st.Active != 1 {
		t.Errorf("after POST /v1/drain: health %q, %d active; want draining, 1", st.Health, st.Active)
	}
	if left := loopsLeft(); len(left) < 2 {
		t.Errorf("%d of the edge's goroutines running; want the session's and the drain's at least", len(left))
	}
	// The player has not moved: the drain still waits when the edge
	// closes, and Close ends it.
	closeEdge(t, e)
}

// TestUndrain: an operator who drained the wrong edge puts it back: it
// admits players again, and the session it had is not ended when the
// drain's time runs out.
func TestUndrain(t *testing.T) {
	e, c, _ := newTestEdge(t, 2, func(cfg *Config) { cfg.DrainTimeout = 1500 * time.Millisecond })
	ctx := context.Background()
	p := joinPlayer(t, c)
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the edge draining", e.Draining)
	if _, err := c.CreateSession(ctx, api.CreateRequest{Title: "testpattern", Offer: offer(t)}); code(err) != api.CodeDraining {
		t.Fatalf("join while draining: %v, want %s", err, api.CodeDraining)
	}
	if err := c.Undrain(ctx); err != nil {
		t.Fatal(err)
	}
	if e.Draining() {
		t.Fatal("still draining after the undrain")
	}
	if st := e.Status(); st.Health == string(cluster.HealthDraining) {
		t.Errorf("health %q after the undrain", st.Health)
	}
	if _, err := c.CreateSession(ctx, api.CreateRequest{Title: "testpattern", Offer: offer(t)}); err != nil {
		t.Fatalf("join after the undrain: %v", err)
	}
	// Past the drain's deadline, the first player still plays.
	time.Sleep(2 * time.Second) // the drain's 1.5 s deadline must pass: what is tested is that nothing happens
	if _, ok := e.sessions.get(p.id); !ok {
		t.Fatal("the drain ended a session after the undrain")
	}
	if err := c.Undrain(ctx); err != nil {
		t.Fatalf("undrain of an edge in service: %v", err)
	}
}
