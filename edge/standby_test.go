package edge

import (
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"stratus/edge/api"
	"stratus/input"
	"stratus/title"
	"stratus/title/rocks"
	"stratus/trust/resume"
)

// standbyPage is a page's standby connection, played by a Pion peer on
// loopback: connected through the edge API, it speaks on its input channel
// and keeps what the edge answers there.
type standbyPage struct {
	id       string
	pc       *webrtc.PeerConnection
	dc       *webrtc.DataChannel
	controls chan input.Control
	video    chan struct{} // closed at the first video packet
}

func connectStandby(t *testing.T, c *api.Client, titleID, player string) *standbyPage {
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
	p := &standbyPage{pc: pc, controls: make(chan input.Control, 64), video: make(chan struct{})}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if tr.Kind() != webrtc.RTPCodecTypeVideo {
			return
		}
		if _, _, err := tr.ReadRTP(); err == nil {
			close(p.video)
		}
	})
	if p.dc, err = pc.CreateDataChannel("input", nil); err != nil {
		t.Fatal(err)
	}
	opened := make(chan struct{})
	p.dc.OnOpen(func() { close(opened) })
	p.dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		var c input.Control
		if !msg.IsString || json.Unmarshal(msg.Data, &c) != nil || c.Type == input.ControlStats {
			return
		}
		select {
		case p.controls <- c:
		default:
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
	resp, err := c.CreateStandby(context.Background(), api.CreateRequest{Title: titleID, Offer: pc.LocalDescription().SDP, Player: player})
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
		t.Fatal("the standby's input channel did not open within 10 s")
	}
	return p
}

func (p *standbyPage) send(t *testing.T, m input.StandbyMessage) {
	t.Helper()
	b, _ := json.Marshal(m)
	if err := p.dc.SendText(string(b)); err != nil {
		t.Fatal(err)
	}
}

// answer waits for the edge's answer to an activation.
func (p *standbyPage) answer(t *testing.T) input.Control {
	t.Helper()
	for {
		select {
		case c := <-p.controls:
			if c.Type == input.ControlActivated || c.Type == input.ControlRefused {
				return c
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no answer to the activation within 10 s")
		}
	}
}

// rocksToken is a resume token of a fresh Rocks game, sealed with e's key.
func rocksToken(t *testing.T, e *Edge) string {
	t.Helper()
	g, err := rocks.New(title.Options{Width: 640, Height: 360, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	state, err := g.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return resume.Seal(e.stateKey, "rocks", resume.NewLineage(), 1, time.Now(), state)
}

// TestStandbyLimits: standbys take no player slot, and are bounded on
// their own: the edge's limit, one per signed-in player, none while
// draining.
func TestStandbyLimits(t *testing.T) {
	tests := []struct {
		name    string
		limit   int
		players []string // one standby asked for each
		drain   bool
		want    []string // the error code of each, "" admitted
	}{
		{name: "edge limit", limit: 2, players: []string{"a", "b", "c"}, want: []string{"", "", api.CodeEdgeFull}},
		{name: "one per player", limit: 4, players: []string{"a", "a", ""}, want: []string{"", api.CodeRateLimited, ""}},
		{name: "anonymous players", limit: 2, players: []string{"", "", ""}, want: []string{"", "", api.CodeEdgeFull}},
		{name: "draining", limit: 2, players: []string{"a"}, drain: true, want: []string{api.CodeDraining}},
		{name: "none", limit: 0, players: []string{"a"}, want: []string{api.CodeEdgeFull}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, c, _ := newTestEdge(t, 1, func(cfg *Config) { cfg.Standbys = tt.limit })
			if tt.drain {
				e.beginDrain()
			}
			admitted := 0
			for i, p := range tt.players {
				_, err := c.CreateStandby(context.Background(), api.CreateRequest{Title: "rocks", Offer: offer(t), Player: p})
				if got := code(err); got != tt.want[i] {
					t.Fatalf("standby %d (player %q): code %q (%v), want %q", i, p, got, err, tt.want[i])
				}
				if err == nil {
					admitted++
				}
			}
			st := e.Status()
			t.Logf("status: %d standbys, %d active, %d free", st.Standbys, st.Active, st.Free)
			if st.Standbys != admitted || st.Active != 0 || (!tt.drain && st.Free != st.Capacity) {
				t.Errorf("status: %d standbys, %d active, %d free of %d; want %d standbys taking no slot",
					st.Standbys, st.Active, st.Free, st.Capacity, admitted)
			}
		})
	}
}

// TestStandbyActivation: a connected standby activated with the page's
// latest token resumes the game, sends video, takes a slot, and refuses a
// second activation.
func TestStandbyActivation(t *testing.T) {
	e, c, _ := newTestEdge(t, 1)
	p := connectStandby(t, c, "rocks", "alice")
	select {
	case <-p.video:
		t.Fatal("a standby sent video before its activation")
	default:
	}
	// Garbage and a token of another title must not replace a good token.
	p.send(t, input.StandbyMessage{Type: input.StandbyState, Token: rocksToken(t, e)})
	p.send(t, input.StandbyMessage{Type: input.StandbyState, Token: "garbage"})
	p.send(t, input.StandbyMessage{Type: input.StandbyKeep})
	p.send(t, input.StandbyMessage{Type: input.StandbyActivate})
	got := p.answer(t)
	if got.Type != input.ControlActivated || !got.Resumed {
		t.Fatalf("activation answered %+v, want activated and resumed", got)
	}
	select {
	case <-p.video:
	case <-time.After(10 * time.Second):
		t.Fatal("no video within 10 s of the activation")
	}
	if st := e.Status(); st.Active != 1 || st.Standbys != 0 || len(st.Sessions) != 1 || st.Sessions[0].ID != p.id {
		t.Fatalf("status after activation: %d active, %d standbys, sessions %+v; want the standby's session", st.Active, st.Standbys, st.Sessions)
	}
	// The attack: activating twice.
	p.send(t, input.StandbyMessage{Type: input.StandbyActivate})
	if got := p.answer(t); got.Type != input.ControlRefused {
		t.Fatalf("second activation answered %+v, want refused", got)
	}
	if st := e.Status(); st.Active != 1 {
		t.Fatalf("%d active after a second activation, want 1", st.Active)
	}
	if err := c.DeleteSession(context.Background(), p.id); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the session's slot given back", func() bool { return e.Status().Active == 0 })
}

// TestStandbyActivationRefused: a standby whose edge filled up since it was
// admitted is refused (the page rejoins elsewhere) and closed; a spent
// token starts the game afresh.
func TestStandbyActivationRefused(t *testing.T) {
	e, c, _ := newTestEdge(t, 1)
	tok := rocksToken(t, e)
	p := connectStandby(t, c, "rocks", "")
	q := connectStandby(t, c, "rocks", "")
	p.send(t, input.StandbyMessage{Type: input.StandbyActivate, Token: tok})
	if got := p.answer(t); got.Type != input.ControlActivated || !got.Resumed {
		t.Fatalf("first activation answered %+v, want activated and resumed", got)
	}
	q.send(t, input.StandbyMessage{Type: input.StandbyActivate, Token: tok})
	if got := q.answer(t); got.Type != input.ControlRefused {
		t.Fatalf("activation on a full edge answered %+v, want refused", got)
	}
	eventually(t, "the refused standby closed", func() bool { return e.standbys.len() == 0 })
	if err := c.DeleteSession(context.Background(), p.id); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the slot given back", func() bool { return e.Status().Active == 0 })
	// The same token again, on a fresh standby: spent, so afresh.
	r := connectStandby(t, c, "rocks", "")
	r.send(t, input.StandbyMessage{Type: input.StandbyActivate, Token: tok})
	if got := r.answer(t); got.Type != input.ControlActivated || got.Resumed {
		t.Fatalf("activation with a spent token answered %+v, want activated afresh", got)
	}
}

// TestStandbyIdle: a standby whose page says nothing is closed after
// StandbyIdle; one kept alive stays.
func TestStandbyIdle(t *testing.T) {
	e, c, _ := newTestEdge(t, 1, func(cfg *Config) { cfg.StandbyIdle = time.Second })
	kept := connectStandby(t, c, "rocks", "")
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				kept.dc.SendText(`{"type":"keep"}`)
			}
		}
	}()
	quiet := connectStandby(t, c, "rocks", "")
	eventually(t, "the quiet standby closed", func() bool {
		_, ok := e.standbys.get(quiet.id)
		return !ok
	})
	if _, ok := e.standbys.get(kept.id); !ok {
		t.Fatal("the standby kept alive was closed")
	}
}
