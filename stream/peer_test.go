package stream

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"stratus/input"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// Fake Annex-B access units: parameter sets and an IDR slice too large for
// one packet (so it is fragmented), or one small non-IDR slice. The filler
// bytes are never zero, so no start code can appear inside a NAL.
var (
	testSPS = []byte{0x67, 0x42, 0xe0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8}
	testPPS = []byte{0x68, 0xce, 0x3c, 0x80}
)

func annexB(nals ...[]byte) []byte {
	var b []byte
	for _, n := range nals {
		b = append(b, 0, 0, 0, 1)
		b = append(b, n...)
	}
	return b
}

func slice(header byte, seed, size int) []byte {
	n := make([]byte, size)
	n[0] = header
	for i := 1; i < size; i++ {
		n[i] = byte(1 + (i*7+seed)%250)
	}
	return n
}

func keyframe(seed int) []byte { return annexB(testSPS, testPPS, slice(0x65, seed, 3000)) }
func delta(seed int) []byte    { return annexB(slice(0x41, seed, 200+seed)) }

// readFrames reassembles n frames from the client's packets, skipping RTX
// repairs. A frame ends at the marker bit.
func (c *client) readFrames(t *testing.T, n int, timeout time.Duration) []rxFrame {
	t.Helper()
	var (
		frames []rxFrame
		cur    *rxFrame
		depack codecs.H264Packet
	)
	deadline := time.Now().Add(timeout)
	for len(frames) < n {
		r, ok := c.nextPacket(time.Until(deadline))
		if !ok {
			t.Fatalf("got %d of %d frames within %v", len(frames), n, timeout)
		}
		if r.rtx {
			continue
		}
		if cur != nil && cur.ts != r.pkt.Timestamp {
			t.Fatalf("frame at ts %d ended without a marker bit", cur.ts)
		}
		if cur == nil {
			cur = &rxFrame{ts: r.pkt.Timestamp}
		}
		nal, err := depack.Unmarshal(r.pkt.Payload)
		if err != nil {
			t.Fatalf("depacketize: %v", err)
		}
		cur.au = append(cur.au, nal...)
		cur.packets = append(cur.packets, r.pkt)
		if r.pkt.Marker {
			frames = append(frames, *cur)
			cur = nil
		}
	}
	return frames
}

type peerEvents struct {
	keyframes atomic.Int64
	mu        sync.Mutex
	states    []State
	bitrates  []int
}

func (ev *peerEvents) config(id string) PeerConfig {
	return PeerConfig{
		ID:                id,
		OnKeyframeRequest: func() { ev.keyframes.Add(1) },
		OnBitrate: func(bps int) {
			ev.mu.Lock()
			ev.bitrates = append(ev.bitrates, bps)
			ev.mu.Unlock()
		},
		OnState: func(s State) {
			ev.mu.Lock()
			ev.states = append(ev.states, s)
			ev.mu.Unlock()
		},
	}
}

func (ev *peerEvents) snapshot() ([]State, []int) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return append([]State(nil), ev.states...), append([]int(nil), ev.bitrates...)
}

// TestPeer runs one player through a whole session against an edge on
// 127.0.0.1; the subtests share the connection and run in order.
func TestPeer(t *testing.T) {
	e := testEngine(t, nil)
	var ev peerEvents
	p, err := e.NewPeer(ev.config("player-1"))
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, clientOptions{})
	const frameDur = 20 * time.Millisecond // 1800 ticks of the 90 kHz clock

	t.Run("frames before connecting are dropped", func(t *testing.T) {
		for i, key := range []bool{false, true, false} {
			if err := p.WriteVideo(delta(i), key, frameDur); err != nil {
				t.Fatalf("WriteVideo: %v", err)
			}
		}
		if s := p.Stats(); s.FramesDropped != 3 || s.FramesSent != 0 {
			t.Fatalf("dropped %d sent %d, want 3 dropped, none sent", s.FramesDropped, s.FramesSent)
		}
		if n := ev.keyframes.Load(); n != 0 {
			t.Fatalf("%d keyframe requests before connecting; an IDR now would be dropped too", n)
		}
	})

	answer := c.connect(p)

	t.Run("answer", func(t *testing.T) {
		port := fmt.Sprint(e.UDPAddr().Port)
		for _, want := range []string{
			"a=ice-lite",
			"H264/90000",
			"rtx/90000",
			"a=ssrc-group:FID",
			playoutDelayURI,
			"transport-wide-cc",
			"transport-cc",
			"nack pli",
			"ccm fir",
			"127.0.0.1 " + port + " typ host",
			fmt.Sprintf("a=max-message-size:%d", sctpMaxMessage),
		} {
			if !strings.Contains(answer, want) {
				t.Errorf("answer lacks %q:\n%s", want, answer)
			}
		}
		if strings.Contains(answer, "goog-remb") {
			t.Errorf("answer offers goog-remb, which would compete with GCC")
		}
	})

	c.waitConnected(p)

	t.Run("ICE over the UDP mux", func(t *testing.T) {
		r := c.selectedRemote()
		if r.Protocol != webrtc.ICEProtocolUDP || int(r.Port) != e.UDPAddr().Port {
			t.Fatalf("selected edge candidate %s %s:%d, want udp port %d", r.Protocol, r.Address, r.Port, e.UDPAddr().Port)
		}
	})

	t.Run("connecting asks for a keyframe", func(t *testing.T) {
		waitFor(t, time.Second, "no keyframe request when the connection came up", func() bool {
			return ev.keyframes.Load() == 1
		})
	})

	t.Run("video waits for a keyframe then flows", func(t *testing.T) {
		// Still waiting for the keyframe requested at connect: dropped.
		if err := p.WriteVideo(delta(99), false, frameDur); err != nil {
			t.Fatal(err)
		}
		want := [][]byte{keyframe(1), delta(2), delta(3), delta(4)}
		for i, au := range want {
			if err := p.WriteVideo(au, i == 0, frameDur); err != nil {
				t.Fatal(err)
			}
			// At the pace of an encoder: the send queue holds only two.
			waitFor(t, time.Second, "frame not sent", func() bool { return p.Stats().FramesSent == uint64(i+1) })
		}
		frames := c.readFrames(t, len(want), 5*time.Second)
		extID := playoutIDOf(c)
		if extID == 0 {
			t.Fatal("playout-delay extension was not negotiated")
		}
		for i, f := range frames {
			if !bytes.Equal(f.au, want[i]) {
				t.Errorf("frame %d: got %d bytes, want the %d bytes written", i, len(f.au), len(want[i]))
			}
			if i > 0 && f.ts-frames[i-1].ts != 1800 {
				t.Errorf("frame %d: timestamp step %d, want 1800", i, f.ts-frames[i-1].ts)
			}
			for j, pkt := range f.packets {
				if last := j == len(f.packets)-1; pkt.Marker != last {
					t.Errorf("frame %d packet %d: marker %v", i, j, pkt.Marker)
				}
				raw := pkt.GetExtension(extID)
				var pd rtp.PlayoutDelayExtension
				if err := pd.Unmarshal(raw); err != nil || pd.MinDelay != 0 || pd.MaxDelay != 0 {
					t.Errorf("frame %d packet %d: playout delay %x (%+v, %v), want min=max=0", i, j, raw, pd, err)
				}
			}
		}
		if len(frames[0].packets) < 3 {
			t.Errorf("keyframe came in %d packets; the test wants it fragmented", len(frames[0].packets))
		}
		if s := p.Stats(); s.FramesSent != 4 || s.FramesDropped != 4 {
			t.Errorf("sent %d dropped %d, want 4 and 4", s.FramesSent, s.FramesDropped)
		}
	})

	t.Run("input arrives decoded", func(t *testing.T) {
		keys := input.Append(nil, input.Event{Kind: input.KindKeyDown, Code: input.KeySpace})
		keys = input.Append(keys, input.Event{Kind: input.KindKeyUp, Code: input.KeySpace, Mods: input.ModShift})
		move := input.Append(nil, input.Event{Kind: input.KindMouseMove, Seq: 7, X: 100, Y: 200, AccX: -3, AccY: 4})
		if err := c.input.Send(keys); err != nil {
			t.Fatal(err)
		}
		if err := c.motion.Send(move); err != nil {
			t.Fatal(err)
		}
		var got []input.Event
		waitFor(t, 5*time.Second, "three input events never arrived", func() bool {
			got = p.ReadInput(got)
			return len(got) >= 3
		})
		byKind := map[input.Kind]input.Event{}
		for _, e := range got {
			byKind[e.Kind] = e
		}
		if e := byKind[input.KindKeyUp]; e.Code != input.KeySpace || e.Mods != input.ModShift {
			t.Errorf("key up = %+v", e)
		}
		if e := byKind[input.KindMouseMove]; e.Seq != 7 || e.X != 100 || e.Y != 200 || e.AccX != -3 || e.AccY != 4 {
			t.Errorf("mouse move = %+v", e)
		}
		if _, ok := byKind[input.KindKeyDown]; !ok || len(got) != 3 {
			t.Errorf("events = %v", got)
		}
	})

	t.Run("garbage is counted and the session survives", func(t *testing.T) {
		before := p.Stats().InputGarbage
		for _, msg := range [][]byte{
			{0xff, 1, 2},                  // unknown type
			{byte(input.KindKeyDown), 65}, // truncated
			append(input.Append(nil, input.Event{Kind: input.KindKeyDown, Code: 65}), 0x42), // valid event, then junk
			make([]byte, input.MaxMessage+1),
		} {
			if err := c.input.Send(msg); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.input.SendText("hello"); err != nil {
			t.Fatal(err)
		}
		good := input.Append(nil, input.Event{Kind: input.KindMouseButton, Button: 2, Down: true})
		if err := c.input.Send(good); err != nil {
			t.Fatal(err)
		}
		var got []input.Event
		waitFor(t, 5*time.Second, "valid event after garbage never arrived", func() bool {
			got = p.ReadInput(got)
			return len(got) > 0
		})
		if len(got) != 1 || got[0].Kind != input.KindMouseButton || got[0].Button != 2 || !got[0].Down {
			t.Errorf("after garbage got %v, want only the mouse button (nothing of a bad message applies)", got)
		}
		if n := p.Stats().InputGarbage - before; n != 5 {
			t.Errorf("InputGarbage grew by %d, want 5", n)
		}
		if p.State() != StateConnected {
			t.Errorf("state %v after garbage", p.State())
		}
	})

	t.Run("pings are echoed, not queued", func(t *testing.T) {
		for i, dc := range []*webrtc.DataChannel{c.input, c.motion} {
			ping := input.Append(nil, input.Event{Kind: input.KindPing, PingID: uint32(40 + i), ClientMs: 1234.5})
			if err := dc.Send(ping); err != nil {
				t.Fatal(err)
			}
			select {
			case echo := <-c.echoes:
				if !bytes.Equal(echo, ping) {
					t.Errorf("%s: echo %x, want %x", dc.Label(), echo, ping)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: no ping echo", dc.Label())
			}
		}
		// A ping sharing a message with an edge: the edge is queued, only
		// the ping's bytes come back.
		ping := input.Append(nil, input.Event{Kind: input.KindPing, PingID: 9})
		msg := append(input.Append(nil, input.Event{Kind: input.KindKeyDown, Code: 70}), ping...)
		if err := c.input.Send(msg); err != nil {
			t.Fatal(err)
		}
		select {
		case echo := <-c.echoes:
			if !bytes.Equal(echo, ping) {
				t.Errorf("echo %x, want only the ping %x", echo, ping)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no echo for a ping after a key event")
		}
		var got []input.Event
		waitFor(t, 5*time.Second, "key event next to a ping never arrived", func() bool {
			got = p.ReadInput(got)
			return len(got) > 0
		})
		for _, e := range got {
			if e.Kind == input.KindPing {
				t.Errorf("ping reached ReadInput")
			}
		}
		if s := p.Stats(); s.PingsEchoed != 3 {
			t.Errorf("PingsEchoed %d, want 3", s.PingsEchoed)
		}
	})

	t.Run("the edge beats on the motion channel at frame rate", func(t *testing.T) {
		b0, at := c.beats.Load(), time.Now()
		waitFor(t, 5*time.Second, "beats for half a second", func() bool { return time.Since(at) > 500*time.Millisecond })
		n := c.beats.Load() - b0
		rate := float64(n) / time.Since(at).Seconds()
		t.Logf("%d beats in %v: %.0f a second", n, time.Since(at).Round(time.Millisecond), rate)
		if rate < 30 || rate > 70 {
			t.Errorf("%.0f beats a second, want about 60", rate)
		}
		// A beat sent back is ignored, never queued as input.
		before := p.Stats().InputIgnored
		if err := c.motion.Send(input.Append(nil, input.Event{Kind: input.KindBeat, Seq: 1})); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "the echoed beat to be ignored", func() bool { return p.Stats().InputIgnored > before })
		if got := p.ReadInput(nil); len(got) != 0 {
			t.Errorf("ReadInput after a beat from the page: %v", got)
		}
	})

	t.Run("clock requests are answered with the edge's time", func(t *testing.T) {
		before := float64(time.Now().UnixNano()) / 1e6
		if err := c.input.Send(input.Append(nil, input.Event{Kind: input.KindClock, PingID: 5, ClientMs: 42})); err != nil {
			t.Fatal(err)
		}
		select {
		case reply := <-c.echoes:
			id, clientMs, edgeMs, ok := input.ParseClockReply(reply)
			after := float64(time.Now().UnixNano()) / 1e6
			if !ok || id != 5 || clientMs != 42 || edgeMs < before || edgeMs > after {
				t.Errorf("reply %x: id %d client %v edge %v, want edge in [%v, %v]", reply, id, clientMs, edgeMs, before, after)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no clock reply")
		}
	})

	t.Run("text to the page on the input channel", func(t *testing.T) {
		if err := p.SendText(`{"type":"stats"}`); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-c.echoes:
			if string(got) != `{"type":"stats"}` {
				t.Errorf("page got %q", got)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("text message never reached the page")
		}
	})

	t.Run("unknown channels are closed, not applied", func(t *testing.T) {
		chat, err := c.pc.CreateDataChannel("chat", nil)
		if err != nil {
			t.Fatal(err)
		}
		closed := make(chan struct{})
		chat.OnClose(func() { close(closed) })
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("the edge did not close an unknown channel")
		}
		if n := p.Stats().ChannelsRefused; n != 1 {
			t.Errorf("ChannelsRefused %d, want 1", n)
		}
		if got := p.ReadInput(nil); len(got) != 0 {
			t.Errorf("unknown channel's message applied: %v", got)
		}
	})

	t.Run("PLI and FIR ask for a keyframe", func(t *testing.T) {
		c.mu.Lock()
		ssrc := c.mediaSSRC
		c.mu.Unlock()
		before := ev.keyframes.Load()
		if err := c.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 2*time.Second, "PLI did not reach OnKeyframeRequest", func() bool {
			return ev.keyframes.Load() == before+1
		})
		// A storm of requests within the merge interval: one more IDR, not
		// one per request.
		for range 5 {
			if err := c.pc.WriteRTCP([]rtcp.Packet{&rtcp.FullIntraRequest{MediaSSRC: ssrc, FIR: []rtcp.FIREntry{{SSRC: ssrc, SequenceNumber: 1}}}}); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 2*time.Second, "FIRs not counted", func() bool { return p.Stats().FIRs == 5 })
		waitFor(t, time.Second, "merged FIRs did not ask for a keyframe", func() bool {
			return ev.keyframes.Load() == before+2
		})
		time.Sleep(3 * keyframeInterval) // nothing else may come
		if n := ev.keyframes.Load() - before; n != 2 {
			t.Errorf("%d keyframe requests for 1 PLI and 5 FIRs in a burst, want 2", n)
		}
		if s := p.Stats(); s.PLIs != 1 {
			t.Errorf("PLIs %d, want 1", s.PLIs)
		}
	})

	t.Run("NACK is answered over RTX", func(t *testing.T) {
		if err := p.WriteVideo(delta(5), false, frameDur); err != nil {
			t.Fatal(err)
		}
		f := c.readFrames(t, 1, 5*time.Second)[0]
		lost := f.packets[0]
		c.mu.Lock()
		ssrc := c.mediaSSRC
		c.mu.Unlock()
		nack := &rtcp.TransportLayerNack{MediaSSRC: ssrc, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{lost.SequenceNumber})}
		if err := c.pc.WriteRTCP([]rtcp.Packet{nack}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 2*time.Second, "NACK not answered", func() bool {
			s := p.Stats()
			return s.NACKs == 1 && s.NACKedPackets == 1 && s.Retransmits == 1
		})
		// Pion's client hands out a queued RTX packet only when its next
		// read returns, so one more frame lets it through.
		if err := p.WriteVideo(delta(6), false, frameDur); err != nil {
			t.Fatal(err)
		}
		for {
			r, ok := c.nextPacket(5 * time.Second)
			if !ok {
				t.Fatal("retransmission never reached the client")
			}
			if !r.rtx {
				continue
			}
			if r.pkt.SequenceNumber != lost.SequenceNumber || !bytes.Equal(r.pkt.Payload, lost.Payload) {
				t.Fatalf("RTX repaired seq %d (%d bytes), want seq %d (%d bytes)",
					r.pkt.SequenceNumber, len(r.pkt.Payload), lost.SequenceNumber, len(lost.Payload))
			}
			if pd := r.pkt.GetExtension(playoutIDOf(c)); len(pd) != 3 {
				t.Errorf("retransmission lacks playout delay")
			}
			break
		}
	})

	t.Run("GCC drives the bitrate and reports arrive", func(t *testing.T) {
		// Feed a steady stream so transport-cc feedback flows, of
		// pictures large enough (20 KB, 9.6 Mbit/s) that the rate control
		// sees the encoder using its target and raises it.
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(frameDur)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
					if err := p.WriteVideo(annexB(slice(0x41, i%50, 20_000)), false, frameDur); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
		go func() { // keep the client's buffer from filling
			for {
				select {
				case <-stop:
					return
				case <-c.packets:
				}
			}
		}()
		defer func() { close(stop); <-done }()
		cfg := e.cfg
		waitFor(t, 10*time.Second, "OnBitrate never called", func() bool {
			_, b := ev.snapshot()
			return len(b) > 0
		})
		waitFor(t, 10*time.Second, "no receiver report about the video", func() bool {
			return p.Stats().ReceiverReports > 0
		})
		_, bitrates := ev.snapshot()
		for _, b := range bitrates {
			if b < cfg.MinBitrate || b > cfg.MaxBitrate {
				t.Errorf("OnBitrate(%d) outside %d..%d", b, cfg.MinBitrate, cfg.MaxBitrate)
			}
		}
		s := p.Stats()
		if s.TargetBitrate != bitrates[len(bitrates)-1] {
			t.Errorf("Stats.TargetBitrate %d, last OnBitrate %d", s.TargetBitrate, bitrates[len(bitrates)-1])
		}
		if s.RTT < 0 || s.RTT > 100*time.Millisecond || s.FractionLost != 0 {
			t.Errorf("loopback RTT %v loss %v", s.RTT, s.FractionLost)
		}
		if s.PacketsSent == 0 || s.BytesSent <= s.PacketsSent*12 {
			t.Errorf("packets %d bytes %d", s.PacketsSent, s.BytesSent)
		}
		t.Logf("stats: %+v, bitrates %v", s, bitrates)
	})

	t.Run("close", func(t *testing.T) {
		if err := p.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := p.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		states, _ := ev.snapshot()
		if len(states) == 0 || states[len(states)-1] != StateClosed {
			t.Fatalf("states %v, want to end with closed", states)
		}
		for i := 1; i < len(states); i++ {
			if states[i] <= states[i-1] {
				t.Errorf("states out of order: %v", states)
			}
		}
		if err := p.WriteVideo(keyframe(1), true, frameDur); !errors.Is(err, ErrClosed) {
			t.Errorf("WriteVideo after Close: %v", err)
		}
		if _, err := p.Answer("v=0"); !errors.Is(err, ErrClosed) {
			t.Errorf("Answer after Close: %v", err)
		}
	})
}

func playoutIDOf(c *client) uint8 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.playoutID
}
