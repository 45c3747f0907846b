package checker

import (
	"math"
	"testing"
	"time"

	"stratus/checker/qos"
	"stratus/input"
)

// A barcode's 32-bit render time is put back on the probe's clock across
// the wrap of 2^32 ms, with the edge's clock ahead or behind.
func TestRenderTime(t *testing.T) {
	for _, c := range []struct {
		name    string
		edgeMs  int64 // the edge's full time at render
		offset  float64
		latency float64 // render to decode, ms
	}{
		{"same clock", 1764000000123, 0, 12},
		{"edge ahead", 1764000000123, 2500, 30},
		{"edge behind", 1764000000123, -90000, 5},
		{"across the wrap", 1 << 33, 40, 20},
		{"just before the wrap", 1<<33 - 3, -40, 20},
	} {
		at := time.UnixMilli(int64(float64(c.edgeMs) - c.offset + c.latency))
		got := renderTime(uint32(c.edgeMs), at, c.offset)
		if want := float64(c.edgeMs) - c.offset; math.Abs(got-want) > 1 {
			t.Errorf("%s: render time %v on the probe's clock, want %v", c.name, got, want)
		}
	}
}

// The clock keeps the estimate of the round trip with the least delay.
func TestClockKeepsShortestRoundTrip(t *testing.T) {
	c := newClock()
	if _, _, ok := c.get(); ok {
		t.Fatal("an estimate before any reply")
	}
	base := time.UnixMilli(1764000000000)
	reply := func(sentMs, edgeMs float64, got time.Time) {
		e := input.Event{Kind: input.KindClock, ClientMs: sentMs}
		c.reply(input.AppendClockReply(nil, e, time.UnixMicro(int64(edgeMs*1000))), got)
	}
	// Edge 100 ms ahead; the first reply was delayed on the way back.
	reply(msOf(base), msOf(base)+100+5, base.Add(50*time.Millisecond))
	reply(msOf(base)+100, msOf(base)+200+5, base.Add(110*time.Millisecond))
	off, rtt, ok := c.get()
	if !ok || math.Abs(off-100) > 0.5 || math.Abs(rtt-10) > 0.01 {
		t.Fatalf("offset %v rtt %v, want 100 and 10", off, rtt)
	}
	c.reply([]byte{1, 2, 3}, base) // not a clock reply: ignored
}

func TestLatency(t *testing.T) {
	var s []float64
	for i := 1; i <= 100; i++ {
		s = append(s, float64(101-i))
	}
	if l := qos.Percentiles(s); l.P50 != 51 || l.P99 != 100 || l.N != 100 {
		t.Fatalf("%+v", l)
	}
	if l := qos.Percentiles(nil); l != (qos.Latency{}) {
		t.Fatalf("empty: %+v", l)
	}
}
