package stream

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"stratus/input"
)

// The tests play the browser with a Pion PeerConnection: it offers one
// recvonly video transceiver and the two input channels, like the page.

func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	level := slog.LevelWarn
	if os.Getenv("STREAM_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(b, "\n")))
	return len(b), nil
}

// waitFor polls cond until it holds or timeout passes, then fails with why.
func waitFor(t *testing.T, timeout time.Duration, why string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, why)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testEngine(t *testing.T, mutate func(*Config)) *Engine {
	t.Helper()
	cfg := DefaultConfig()
	cfg.ListenIP = "127.0.0.1"
	cfg.UDPPort = 0
	cfg.TCPPort = -1
	if mutate != nil {
		mutate(&cfg)
	}
	e, err := NewEngine(cfg, testLogger(t))
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Engine.Close: %v", err)
		}
	})
	return e
}

// received is one RTP packet as the client's track returned it.
type received struct {
	pkt *rtp.Packet
	rtx bool // repaired from an RTX packet
}

type client struct {
	t      *testing.T
	pc     *webrtc.PeerConnection
	input  *webrtc.DataChannel
	motion *webrtc.DataChannel

	packets   chan received
	echoes    chan []byte // messages the edge sent on either channel, but beats
	beats     atomic.Int64
	opened    chan struct{}
	mu        sync.Mutex
	playoutID uint8
	mediaSSRC uint32
}

type clientOptions struct {
	networks []webrtc.NetworkType
	codecs   func(*webrtc.MediaEngine) error // default: Pion's defaults
	conn     net.PacketConn                  // client's UDP socket (default: its own)
	ip       net.IP                          // the client's address (default: loopback)
}

func newClient(t *testing.T, o clientOptions) *client {
	t.Helper()
	if o.networks == nil {
		o.networks = []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	}
	m := &webrtc.MediaEngine{}
	codecs := o.codecs
	if codecs == nil {
		codecs = (*webrtc.MediaEngine).RegisterDefaultCodecs
	}
	if err := codecs(m); err != nil {
		t.Fatal(err)
	}
	// Chrome offers playout delay; Pion only if told.
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: playoutDelayURI}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		t.Fatal(err)
	}
	var s webrtc.SettingEngine
	s.SetNetworkTypes(o.networks)
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool {
		if o.ip != nil {
			return ip.Equal(o.ip)
		}
		return ip.IsLoopback()
	})
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if o.conn != nil {
		s.SetICEUDPMux(ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: o.conn}))
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c := &client{
		t:       t,
		pc:      pc,
		packets: make(chan received, 8192),
		echoes:  make(chan []byte, 64),
		opened:  make(chan struct{}, 2),
	}
	t.Cleanup(func() { _ = pc.Close() })

	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	unordered, none := false, uint16(0)
	if c.input, err = pc.CreateDataChannel(labelInput, nil); err != nil {
		t.Fatal(err)
	}
	if c.motion, err = pc.CreateDataChannel(labelMotion, &webrtc.DataChannelInit{Ordered: &unordered, MaxRetransmits: &none}); err != nil {
		t.Fatal(err)
	}
	for _, dc := range []*webrtc.DataChannel{c.input, c.motion} {
		dc.OnOpen(func() { c.opened <- struct{}{} })
		dc.OnMessage(func(m webrtc.DataChannelMessage) {
			if len(m.Data) == input.KindBeat.Size() && input.Kind(m.Data[0]) == input.KindBeat {
				c.beats.Add(1)
				return
			}
			select {
			case c.echoes <- m.Data:
			default:
			}
		})
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		c.mu.Lock()
		for _, e := range r.GetParameters().HeaderExtensions {
			if e.URI == playoutDelayURI {
				c.playoutID = uint8(e.ID)
			}
		}
		c.mediaSSRC = uint32(tr.SSRC())
		c.mu.Unlock()
		for {
			pkt, attr, err := tr.ReadRTP()
			if err != nil {
				return
			}
			_, rtx := attr[webrtc.AttributeRtxSsrc]
			select {
			case c.packets <- received{pkt: pkt, rtx: rtx}:
			default:
				t.Errorf("client packet buffer full")
				return
			}
		}
	})
	return c
}

// connect runs the offer/answer exchange with p and returns the answer.
func (c *client) connect(p *Peer) string {
	c.t.Helper()
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(offer); err != nil {
		c.t.Fatal(err)
	}
	<-gathered
	answer, err := p.Answer(c.pc.LocalDescription().SDP)
	if err != nil {
		c.t.Fatalf("Answer: %v", err)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		c.t.Fatalf("client SetRemoteDescription: %v", err)
	}
	return answer
}

// waitConnected waits until both ends are connected and both data channels
// are open.
func (c *client) waitConnected(p *Peer) {
	c.t.Helper()
	waitFor(c.t, 10*time.Second, "client connection never connected", func() bool {
		return c.pc.ConnectionState() == webrtc.PeerConnectionStateConnected
	})
	waitFor(c.t, 5*time.Second, "edge peer never reported connected", func() bool {
		return p.State() == StateConnected
	})
	for range 2 {
		select {
		case <-c.opened:
		case <-time.After(5 * time.Second):
			c.t.Fatal("data channels never opened")
		}
	}
}

// selectedRemote is the edge's candidate on the pair ICE selected.
func (c *client) selectedRemote() *webrtc.ICECandidate {
	c.t.Helper()
	pair, err := c.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		c.t.Fatalf("no selected candidate pair: %v", err)
	}
	return pair.Remote
}

// nextPacket returns the next packet the track delivered.
func (c *client) nextPacket(timeout time.Duration) (received, bool) {
	select {
	case r := <-c.packets:
		return r, true
	case <-time.After(timeout):
		return received{}, false
	}
}

// frame is one access unit as the client reassembled it.
type rxFrame struct {
	ts      uint32
	au      []byte
	packets []*rtp.Packet
}
