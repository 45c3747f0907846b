package qos

import (
	"slices"
	"time"
)

// Result is what one probe saw of one edge.
type Result struct {
	Edge string `json:"edge"`
	// Session is the session the check played, which the ledger then
	// counts as a check rather than as play.
	Session string    `json:"session,omitempty"`
	Region  string    `json:"region"`
	Title   string    `json:"title"`
	At      time.Time `json:"checked_at"`
	// JoinMs: from the join sent to the first decoded frame.
	JoinMs float64 `json:"join_ms"`
	// Frames decoded while watching, and their rate.
	Frames int     `json:"frames"`
	FPS    float64 `json:"fps"`
	// G2G and Input are glass-to-glass and input-to-display, in ms.
	G2G   Latency `json:"g2g_ms"`
	Input Latency `json:"input_ms"`
	// Clock is the estimated offset of the edge's clock to the probe's
	// (edge minus probe) and the round trip it was measured with.
	ClockOffsetMs float64 `json:"clock_offset_ms"`
	ClockRTTMs    float64 `json:"clock_rtt_ms"`
	// Loss is the fraction of video packets lost; JitterMs the RTP
	// interarrival jitter; Kbps the video bitrate received.
	Loss     float64 `json:"loss"`
	JitterMs float64 `json:"jitter_ms"`
	Kbps     float64 `json:"kbps"`
	// DecodeErrors counts access units the decoder refused.
	DecodeErrors int `json:"decode_errors"`
}

// Latency is a distribution's p50 and p99 over N samples.
type Latency struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	N   int     `json:"n"`
}

// Percentiles summarises samples.
func Percentiles(samples []float64) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	at := func(q float64) float64 { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return Latency{P50: at(0.5), P99: at(0.99), N: len(s)}
}

// Report is the latest check of one edge: a result, or why there is none.
type Report struct {
	Result
	// OK: the probe measured; Error says why not; Skipped why the edge
	// was not probed (no spare room: a check never takes a player's slot).
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Skipped string `json:"skipped,omitempty"`
	// Refused: the edge refused the check as full while it advertised
	// free slots, before the check and still after it (a failed check).
	Refused bool `json:"refused,omitempty"`
}
