package session

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"stratus/input"
	"stratus/title"
)

// Stats is a snapshot of one session's figures, for the stats overlay, the
// edge's status API and metrics.
type Stats struct {
	ID            string    `json:"id"`
	Title         string    `json:"title"`
	Encoder       string    `json:"encoder"`
	Width         int       `json:"width"`
	Height        int       `json:"height"`
	TargetFPS     int       `json:"target_fps"`
	Started       time.Time `json:"started"`
	FPS           float64   `json:"fps"`
	RenderMs      float64   `json:"render_ms"`
	ConvertMs     float64   `json:"convert_ms"`
	EncodeMs      float64   `json:"encode_ms"`
	BitrateBps    float64   `json:"bitrate_bps"`
	TargetBitrate int64     `json:"target_bitrate_bps"`
	Frames        int64     `json:"frames"`
	Keyframes     int64     `json:"keyframes"`
	Skipped       int64     `json:"frames_skipped"`
	SendErrors    int64     `json:"send_errors"`
	Inputs        int64     `json:"inputs"`
	StaleInput    int64     `json:"stale_input"`
	// ExtraPads counts gamepad events dropped for a pad index of
	// input.MaxPads or more.
	ExtraPads    int64 `json:"extra_pads"`
	IDRRequests  int64 `json:"idr_requests"`
	BytesSent    int64 `json:"bytes_sent"`
	AudioPackets int64 `json:"audio_packets"`
	// SendLateMs is how long after its slot's due time each of the last
	// frames was handed to the connection (pacing jitter), p50 and p99.
	SendLateP50Ms float64 `json:"send_late_p50_ms"`
	SendLateP99Ms float64 `json:"send_late_p99_ms"`
	// From the page's latest presentation report: how long frames waited
	// for the display refresh, and how far the schedule has moved in all.
	PresentWaitP10Ms float64 `json:"present_wait_p10_ms"`
	PresentWaitP50Ms float64 `json:"present_wait_p50_ms"`
	PresentMissed    int     `json:"present_missed"`
	// FramesPresented sums the frames the page reported shown.
	FramesPresented int64   `json:"frames_presented"`
	PhaseShiftMs    float64 `json:"phase_shift_ms"`
	// Rung is the quality ladder's current step ("540p60", ladder.go),
	// RungWidth and RungHeight the size it encodes at, and RungChanges
	// how often it moved.
	Rung        string `json:"rung"`
	RungWidth   int    `json:"rung_width"`
	RungHeight  int    `json:"rung_height"`
	RungFPS     int    `json:"rung_fps"`
	RungChanges int64  `json:"rung_changes"`
	// From the page's latest receive report (input.KindReceive): its
	// freezes (no new frame for over input.FreezeGap), how long they
	// lasted in all and the longest, and the FEC packets it used.
	Freezes         int     `json:"freezes"`
	FreezeMs        float64 `json:"freeze_ms"`
	LongestFreezeMs float64 `json:"longest_freeze_ms"`
	FECUsed         int64   `json:"fec_used"`
}

// lateRing keeps the lateness of the last frames sent.
const lateRing = 1024

// statsRecorder collects figures from the session loop. Counters are atomic
// so that readers on other goroutines never stall the loop; the one-second
// window figures sit behind a mutex the loop holds only briefly.
type statsRecorder struct {
	base Stats

	skipped, sendErrors, inputs, staleInput, idrRequests atomic.Int64
	extraPads                                            atomic.Int64
	targetBitrate, audioPackets                          atomic.Int64

	mu        sync.Mutex
	frames    int64
	keyframes int64
	bytes     int64
	window    window
	last      window // the last complete second
	lastSpan  time.Duration
	late      [lateRing]time.Duration
	lateN     int
	report    input.Event   // the page's latest presentation report
	recv      input.Event   // the highest of its receive reports' counts
	presented int64         // the frames its reports say were shown
	shifted   time.Duration // the sum of phase shifts
	rung      Rung
	rungs     int64 // rung changes, the first setRung not counted
}

// window accumulates one second of frames.
type window struct {
	start                   time.Time
	frames                  int
	bytes                   int
	render, convert, encode time.Duration
}

func (r *statsRecorder) init(info title.Info) {
	r.base = Stats{
		Title: info.ID,
		Width: info.Width, Height: info.Height, TargetFPS: info.FPS,
		Started: time.Now(),
	}
}

func (r *statsRecorder) frame(now time.Time, late, render, convert, encode time.Duration, n int, key bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.late[r.lateN%lateRing] = late
	r.lateN++
	r.frames++
	r.bytes += int64(n)
	if key {
		r.keyframes++
	}
	w := &r.window
	if w.start.IsZero() {
		w.start = now
	}
	w.frames++
	w.bytes += n
	w.render += render
	w.convert += convert
	w.encode += encode
	if now.Sub(w.start) >= time.Second {
		r.last, r.lastSpan = *w, now.Sub(w.start)
		*w = window{start: now}
	}
}

func (r *statsRecorder) setRung(g Rung) {
	r.mu.Lock()
	if r.rung != (Rung{}) {
		r.rungs++
	}
	r.rung = g
	r.mu.Unlock()
}

// receive keeps the page's running counts. Reports come on the unordered
// channel, so each count keeps the highest it has seen: a late report
// never moves one back.
func (r *statsRecorder) receive(rep input.Event) {
	r.mu.Lock()
	r.recv.Freezes = max(r.recv.Freezes, rep.Freezes)
	r.recv.FreezeTime = max(r.recv.FreezeTime, rep.FreezeTime)
	r.recv.LongestFreeze = max(r.recv.LongestFreeze, rep.LongestFreeze)
	r.recv.FECUsed = max(r.recv.FECUsed, rep.FECUsed)
	r.mu.Unlock()
}

func (r *statsRecorder) present(rep input.Event, shift time.Duration) {
	r.mu.Lock()
	r.report = rep
	r.presented += int64(rep.Frames)
	r.shifted += shift
	r.mu.Unlock()
}

func ms(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(d) / float64(n) / 1e6
}

// Stats returns a snapshot. Safe from any goroutine.
func (s *Session) Stats() Stats {
	r := &s.stats
	st := r.base
	st.ID = s.cfg.ID
	// The encoder can change mid-session (NVENC falling back to x264).
	st.Encoder = s.cfg.Encoder.Name()
	st.Skipped = r.skipped.Load()
	st.SendErrors = r.sendErrors.Load()
	st.Inputs = r.inputs.Load()
	st.StaleInput = r.staleInput.Load()
	st.ExtraPads = r.extraPads.Load()
	st.IDRRequests = r.idrRequests.Load()
	st.TargetBitrate = r.targetBitrate.Load()
	st.AudioPackets = r.audioPackets.Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	st.Frames, st.Keyframes, st.BytesSent = r.frames, r.keyframes, r.bytes
	if w, span := r.last, r.lastSpan; span > 0 {
		st.FPS = float64(w.frames) / span.Seconds()
		st.BitrateBps = float64(w.bytes*8) / span.Seconds()
		st.RenderMs = ms(w.render, w.frames)
		st.ConvertMs = ms(w.convert, w.frames)
		st.EncodeMs = ms(w.encode, w.frames)
	}
	st.PresentWaitP10Ms = float64(r.report.WaitP10) / 1e6
	st.PresentWaitP50Ms = float64(r.report.WaitP50) / 1e6
	st.PresentMissed = int(r.report.Missed)
	st.FramesPresented = r.presented
	st.PhaseShiftMs = float64(r.shifted) / 1e6
	st.Rung, st.RungChanges = r.rung.Name(), r.rungs
	st.RungWidth, st.RungHeight, st.RungFPS = r.rung.Width, r.rung.Height, r.rung.FPS
	st.Freezes, st.FECUsed = int(r.recv.Freezes), int64(r.recv.FECUsed)
	st.FreezeMs, st.LongestFreezeMs = float64(r.recv.FreezeTime)/1e6, float64(r.recv.LongestFreeze)/1e6
	late := append([]time.Duration(nil), r.late[:min(r.lateN, lateRing)]...)
	slices.Sort(late)
	if n := len(late); n > 0 {
		st.SendLateP50Ms = float64(late[n/2]) / 1e6
		st.SendLateP99Ms = float64(late[n*99/100]) / 1e6
	}
	return st
}
