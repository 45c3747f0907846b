package stream

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// connectedPair is an edge peer and its client, connected, with the keyframe
// requested at connect already answered so video flows.
func connectedPair(t *testing.T, e *Engine, id string, o clientOptions) (*Peer, *client) {
	t.Helper()
	p, err := e.NewPeer(PeerConfig{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	c := newClient(t, o)
	c.connect(p)
	c.waitConnected(p)
	return p, c
}

// TestTwoPeersShareUDPPort connects two players to one engine and checks
// that both use the one UDP port and each gets its own video.
func TestTwoPeersShareUDPPort(t *testing.T) {
	t.Parallel()
	e := testEngine(t, nil)
	port := e.UDPAddr().Port
	p1, c1 := connectedPair(t, e, "p1", clientOptions{})
	p2, c2 := connectedPair(t, e, "p2", clientOptions{})
	for i, c := range []*client{c1, c2} {
		if r := c.selectedRemote(); int(r.Port) != port || r.Protocol != webrtc.ICEProtocolUDP {
			t.Errorf("client %d: edge candidate %s:%d/%s, want the shared port %d", i+1, r.Address, r.Port, r.Protocol, port)
		}
	}
	k1, k2 := keyframe(11), keyframe(22)
	if err := p1.WriteVideo(k1, true, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := p2.WriteVideo(k2, true, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if f := c1.readFrames(t, 1, 5*time.Second)[0]; !bytes.Equal(f.au, k1) {
		t.Error("client 1 got someone else's frame")
	}
	if f := c2.readFrames(t, 1, 5*time.Second)[0]; !bytes.Equal(f.au, k2) {
		t.Error("client 2 got someone else's frame")
	}
}

// TestICETCP connects a client that may only use TCP: it reaches the edge
// through the ICE-TCP port, and video and input work over it.
func TestICETCP(t *testing.T) {
	t.Parallel()
	e := testEngine(t, func(c *Config) { c.TCPPort = 0 })
	if e.TCPAddr() == nil {
		t.Fatal("TCPAddr is nil with TCPPort 0")
	}
	p, err := e.NewPeer(PeerConfig{ID: "tcp"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := newClient(t, clientOptions{networks: []webrtc.NetworkType{webrtc.NetworkTypeTCP4}})
	answer := c.connect(p)
	if want := fmt.Sprintf("127.0.0.1 %d typ host tcptype passive", e.TCPAddr().Port); !strings.Contains(answer, want) {
		t.Errorf("answer lacks a passive TCP candidate on %d:\n%s", e.TCPAddr().Port, answer)
	}
	c.waitConnected(p)
	if r := c.selectedRemote(); r.Protocol != webrtc.ICEProtocolTCP || int(r.Port) != e.TCPAddr().Port {
		t.Fatalf("selected edge candidate %s:%d/%s, want tcp port %d", r.Address, r.Port, r.Protocol, e.TCPAddr().Port)
	}
	k := keyframe(5)
	if err := p.WriteVideo(k, true, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if f := c.readFrames(t, 1, 5*time.Second)[0]; !bytes.Equal(f.au, k) {
		t.Error("keyframe corrupted over TCP")
	}
}

// TestTCPDisabled: TCPPort -1 opens no listener and advertises no TCP.
func TestTCPDisabled(t *testing.T) {
	t.Parallel()
	e := testEngine(t, nil)
	if e.TCPAddr() != nil {
		t.Fatalf("TCPAddr %v with ICE-TCP disabled", e.TCPAddr())
	}
	p, err := e.NewPeer(PeerConfig{ID: "udp-only"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	answer := newClient(t, clientOptions{}).connect(p)
	if strings.Contains(answer, " tcp ") {
		t.Errorf("answer advertises TCP:\n%s", answer)
	}
}

// blackhole is a client socket that can stop sending, as if the player's
// network went away.
type blackhole struct {
	net.PacketConn
	dropping atomic.Bool
}

func (b *blackhole) WriteTo(p []byte, addr net.Addr) (int, error) {
	if b.dropping.Load() {
		return len(p), nil
	}
	return b.PacketConn.WriteTo(p, addr)
}

// TestDisconnectDetection cuts a connected player off and checks that the
// edge notices within the configured timeouts: disconnected after about a
// second, failed a few seconds later.
func TestDisconnectDetection(t *testing.T) {
	t.Parallel()
	e := testEngine(t, nil)
	states := make(chan State, 16)
	p, err := e.NewPeer(PeerConfig{ID: "leaver", OnState: func(s State) { states <- s }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conn := &blackhole{PacketConn: udp}
	c := newClient(t, clientOptions{conn: conn})
	c.connect(p)
	c.waitConnected(p)

	cut := time.Now()
	conn.dropping.Store(true)
	cfg := e.cfg
	wait := func(want State, within time.Duration) time.Duration {
		t.Helper()
		deadline := time.After(within)
		for {
			select {
			case s := <-states:
				if s == want {
					return time.Since(cut)
				}
			case <-deadline:
				t.Fatalf("no %v within %v of the cut", want, within)
			}
		}
	}
	slack := cfg.KeepaliveInterval + 500*time.Millisecond
	d := wait(StateDisconnected, cfg.DisconnectedTimeout+slack)
	f := wait(StateFailed, cfg.DisconnectedTimeout+cfg.FailedTimeout+slack)
	t.Logf("disconnected after %v, failed after %v", d.Round(time.Millisecond), f.Round(time.Millisecond))
	if err := p.WriteVideo(keyframe(1), true, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.FramesSent != 0 || s.FramesDropped != 1 {
		t.Errorf("after failure: sent %d dropped %d, want the frame dropped", s.FramesSent, s.FramesDropped)
	}
}

// TestAnswerRejectsOfferWithoutH264: a browser without H.264 gets a clear
// error, not an answer with the video rejected.
func TestAnswerRejectsOfferWithoutH264(t *testing.T) {
	t.Parallel()
	e := testEngine(t, nil)
	p, err := e.NewPeer(PeerConfig{ID: "vp8"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := newClient(t, clientOptions{codecs: func(m *webrtc.MediaEngine) error {
		return m.RegisterCodec(webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
			PayloadType:        96,
		}, webrtc.RTPCodecTypeVideo)
	}})
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Answer(offer.SDP); !errors.Is(err, ErrNoH264) {
		t.Fatalf("Answer: %v, want ErrNoH264", err)
	}
	if _, err := p.Answer("not sdp"); err == nil {
		t.Fatal("Answer accepted garbage")
	}
}

// TestPublicIPs: candidates advertise the public address instead of the
// local one, on the same port.
func TestPublicIPs(t *testing.T) {
	t.Parallel()
	e := testEngine(t, func(c *Config) { c.PublicIPs = []string{"203.0.113.7"} })
	p, err := e.NewPeer(PeerConfig{ID: "nat"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	offer, err := newClient(t, clientOptions{}).pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := p.Answer(offer.SDP)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("203.0.113.7 %d typ host", e.UDPAddr().Port)
	if !strings.Contains(answer, want) || strings.Contains(answer, "127.0.0.1") {
		t.Errorf("answer should advertise %q and not the local address:\n%s", want, answer)
	}
}

// TestCandidates: trickled candidates are accepted before and after the
// offer (ICE-lite does not need them), and after Close refused.
func TestCandidates(t *testing.T) {
	t.Parallel()
	e := testEngine(t, nil)
	p, err := e.NewPeer(PeerConfig{ID: "trickle"})
	if err != nil {
		t.Fatal(err)
	}
	cand := webrtc.ICECandidateInit{Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host"}
	if err := p.AddCandidate(cand); err != nil {
		t.Fatalf("candidate before offer: %v", err)
	}
	c := newClient(t, clientOptions{})
	c.connect(p)
	if err := p.AddCandidate(cand); err != nil {
		t.Fatalf("candidate after offer: %v", err)
	}
	c.waitConnected(p)
	p.Close()
	if err := p.AddCandidate(cand); !errors.Is(err, ErrClosed) {
		t.Fatalf("candidate after Close: %v", err)
	}
}

// TestEngineClose closes the peers still open, is safe twice, and refuses
// new peers.
func TestEngineClose(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.ListenIP, cfg.UDPPort, cfg.TCPPort = "127.0.0.1", 0, 0
	e, err := NewEngine(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var states []State
	p, err := e.NewPeer(PeerConfig{ID: "left-open", OnState: func(s State) { states = append(states, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if p.State() != StateClosed || len(states) != 1 || states[0] != StateClosed {
		t.Errorf("peer state %v, reports %v; want closed", p.State(), states)
	}
	if _, err := e.NewPeer(PeerConfig{ID: "late"}); !errors.Is(err, ErrClosed) {
		t.Errorf("NewPeer after Close: %v", err)
	}
	// The ports are free again.
	if c, err := net.ListenUDP("udp4", e.UDPAddr()); err != nil {
		t.Errorf("UDP port still bound: %v", err)
	} else {
		c.Close()
	}
}

// TestAllInterfaces: with an unspecified ListenIP and port 0 the engine
// binds one port number on every interface address, and a player reaches
// it.
func TestAllInterfaces(t *testing.T) {
	t.Parallel()
	e := testEngine(t, func(c *Config) { c.ListenIP = "0.0.0.0"; c.Loopback = true })
	port := e.UDPAddr().Port
	addrs := e.udp.GetListenAddresses()
	for _, a := range addrs {
		if a.(*net.UDPAddr).Port != port {
			t.Errorf("listening on %v, want every address on port %d", a, port)
		}
	}
	p, c := connectedPair(t, e, "any", clientOptions{})
	_ = p
	if r := c.selectedRemote(); int(r.Port) != port {
		t.Errorf("selected edge candidate %s:%d, want port %d", r.Address, r.Port, port)
	}
	t.Logf("bound %v", addrs)
}

// TestIPv6 runs a player over IPv6. Pion leaves out ::1 (it looks like an
// IPv4-compatible address to it), so the test needs a real IPv6 address on
// this host and is skipped without one.
func TestIPv6(t *testing.T) {
	t.Parallel()
	var v6 net.IP
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() == nil && n.IP.IsGlobalUnicast() {
			v6 = n.IP
			break
		}
	}
	if v6 == nil {
		t.Skip("no global or unique-local IPv6 address here")
	}
	e := testEngine(t, func(c *Config) { c.ListenIP = v6.String() })
	p, c := connectedPair(t, e, "v6", clientOptions{networks: []webrtc.NetworkType{webrtc.NetworkTypeUDP6}, ip: v6})
	if r := c.selectedRemote(); r.Address != v6.String() || int(r.Port) != e.UDPAddr().Port {
		t.Errorf("selected edge candidate %s:%d, want %s:%d", r.Address, r.Port, v6, e.UDPAddr().Port)
	}
	k := keyframe(6)
	if err := p.WriteVideo(k, true, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if f := c.readFrames(t, 1, 5*time.Second)[0]; !bytes.Equal(f.au, k) {
		t.Error("keyframe corrupted over IPv6")
	}
}
