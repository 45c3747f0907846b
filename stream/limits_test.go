package stream

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"stratus/input"
)

// TestChannelFlood attacks a peer as a modified page would: thousands of
// data channels with made-up labels, and more of the known ones than a
// page opens. The edge keeps maxDataChannels at most, closes the rest on
// arrival, and the player's stream and input go on; goroutines and heap
// come back down.
func TestChannelFlood(t *testing.T) {
	const flood = floodChannels
	e := testEngine(t, nil)
	var ev peerEvents
	p, err := e.NewPeer(ev.config("flooder"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := newClient(t, clientOptions{})
	c.connect(p)
	c.waitConnected(p)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	goBefore := runtime.NumGoroutine()

	// The page's two channels are open; three more known ones take the
	// count past the limit by one.
	for i := range 3 {
		if _, err := c.pc.CreateDataChannel(labelMotion, nil); err != nil {
			t.Fatalf("extra motion channel %d: %v", i, err)
		}
	}
	for i := range flood {
		if _, err := c.pc.CreateDataChannel(fmt.Sprintf("flood-%d", i), nil); err != nil {
			t.Fatalf("channel %d: %v", i, err)
		}
	}
	wantRefused := uint64(flood + 3 - (maxDataChannels - 2))
	// Polled: each channel is refused when its open message arrives.
	waitFor(t, 60*time.Second, "the flood's channels were not all refused", func() bool {
		return p.Stats().ChannelsRefused >= wantRefused
	})
	if n := p.channels.Load(); n > maxDataChannels+int32(flood) {
		t.Fatalf("channel count %d", n)
	}
	// Polled: closing a channel ends its read goroutine a moment later.
	var goAfter int
	waitFor(t, 30*time.Second, "goroutines of refused channels still running", func() bool {
		goAfter = runtime.NumGoroutine()
		return goAfter < goBefore+50
	})
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heapGrowth := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("opened %d channels beyond the page's two: %d refused (limit %d a peer), goroutines %d -> %d, heap in use %+d KiB",
		flood+3, p.Stats().ChannelsRefused, maxDataChannels, goBefore, goAfter, heapGrowth>>10)
	if got := p.Stats().ChannelsRefused; got != wantRefused {
		t.Errorf("refused %d channels, want %d", got, wantRefused)
	}
	// Both ends' Pion keeps a little per refused channel until it is reset;
	// 5000 channels at Pion's 64 KiB read buffer each would be 320 MiB.
	if heapGrowth > 128<<20 {
		t.Errorf("heap grew by %d MiB under the flood", heapGrowth>>20)
	}

	// The player still plays: input arrives, frames go out.
	if err := c.input.Send(input.Append(nil, input.Event{Kind: input.KindKeyDown, Code: 'Z'})); err != nil {
		t.Fatal(err)
	}
	var got []input.Event
	waitFor(t, 5*time.Second, "input after the flood never arrived", func() bool {
		got = p.ReadInput(got)
		return len(got) > 0
	})
	if got[0].Kind != input.KindKeyDown || got[0].Code != 'Z' {
		t.Errorf("after the flood got %v", got)
	}
	// The flood's SCTP traffic goes on for seconds after the last refusal
	// and overflows the loopback sockets' receive buffers, so a single
	// frame may be lost like any UDP packet; the encoder would answer the
	// player's PLI with another keyframe, as this loop does.
	arrived := false
	for i := 1; i <= 50 && !arrived; i++ {
		if err := p.WriteVideo(keyframe(i), true, 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		_, arrived = c.nextPacket(100 * time.Millisecond)
	}
	if !arrived {
		t.Fatalf("no video within 5 s after the flood: %+v", p.Stats())
	}
	if st := p.State(); st != StateConnected {
		t.Fatalf("state %v after the flood", st)
	}
}

// TestCallbackPanicClosesPeer: a panic in a callback the peer runs for the
// player (here the keyframe request a PLI triggers) closes that peer's
// connection, logged and counted, and nothing else; another peer on the
// same engine plays on.
func TestCallbackPanicClosesPeer(t *testing.T) {
	e := testEngine(t, nil)
	var ev peerEvents
	cfg := ev.config("buggy")
	cfg.OnKeyframeRequest = func() { panic("keyframe handler bug") }
	p, err := e.NewPeer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var okEv peerEvents
	other, err := e.NewPeer(okEv.config("other"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	c := newClient(t, clientOptions{})
	c.connect(p)
	oc := newClient(t, clientOptions{})
	oc.connect(other)
	oc.waitConnected(other)

	// Connecting asks for a keyframe, which panics; a PLI would too.
	waitFor(t, 10*time.Second, "the panicking peer was not closed", func() bool {
		return p.State() == StateClosed
	})
	if n := p.Stats().Panics; n != 1 {
		t.Errorf("Panics %d, want 1", n)
	}
	if st := other.State(); st != StateConnected {
		t.Fatalf("the other peer is %v", st)
	}
	if err := other.WriteVideo(keyframe(2), true, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if _, ok := oc.nextPacket(5 * time.Second); !ok {
		t.Fatal("the other peer sends no video after the panic")
	}
	t.Logf("panicking peer closed (Panics %d); the other peer still %v and sending", p.Stats().Panics, other.State())
}
