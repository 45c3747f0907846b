//go:build cgo

package pulse

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func record(t testing.TB, s *Server) *Recorder {
	t.Helper()
	r, err := Record(s.Addr(), s.CookiePath(), "", testLog(t))
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// readFrames reads 10 ms frames from r on a ticker, as a session does, and
// hands each to f until f returns false or timeout passes.
func readFrames(t testing.TB, r *Recorder, timeout time.Duration, what string, f func(pcm []int16, at time.Time) bool) {
	t.Helper()
	tick := time.NewTicker(chunk)
	defer tick.Stop()
	deadline := time.Now().Add(timeout)
	for now := range tick.C {
		pcm := make([]int16, chunkSamples)
		r.ReadAudio(pcm)
		if !f(pcm, now) {
			return
		}
		if now.After(deadline) {
			t.Fatalf("after %v: still waiting for %s (stats %+v, err %v)", timeout, what, r.Stats(), r.Err())
		}
	}
}

// heard is the RMS above which a frame carries the test tone (amplitude
// 16000, RMS 11300) rather than silence, which from a null sink is exact.
const heard = 2000

// A tone that a game plays comes out of ReadAudio at the right frequency
// and level, soon after it was played.
func TestRecordTone(t *testing.T) {
	s := startServer(t, session(t))
	r := record(t, s)
	const freq = 1000
	p := play(t, s, freq, false)
	waitFor(t, 5*time.Second, "pacat to be playing silence", func() bool { return p.chunks.Load() >= 20 })
	p.tone.Store(true)

	var heardAt time.Time
	var got []int16
	readFrames(t, r, 5*time.Second, "the tone", func(pcm []int16, now time.Time) bool {
		if heardAt.IsZero() && rms(pcm) > heard {
			heardAt = now
		}
		if !heardAt.IsZero() {
			got = append(got, pcm...)
		}
		return len(got) < 50*chunkSamples // 500 ms
	})
	// From the tone's first chunk entering pacat's pipe to ReadAudio: the
	// rest of the pipe, pacat's 20 ms, the sink's and the monitor's few
	// ms, the Recorder's buffer and the tick. This is no speed limit (the
	// figures are in benchmarks/README.md): a second or more means the sink
	// kept its idle 2 s blocks.
	latency := heardAt.Sub(time.Unix(0, p.toneAt.Load()))
	st := r.Stats()
	t.Logf("tone heard %v after it entered pacat's pipe; stats %+v", latency, st)
	if latency > time.Second {
		t.Errorf("tone heard %v after it was played: the sink still renders in idle-sized blocks", latency)
	}
	if st.Buffered > 2*chunkFrames {
		t.Errorf("%d frames buffered after reading on the tick, want at most %d", st.Buffered, 2*chunkFrames)
	}
	if level := rms(got); level < 8000 {
		t.Errorf("RMS over 500 ms: %.0f, want about 11300", level)
	}
	for ch := range 2 {
		on, off := goertzel(got, ch, freq), goertzel(got, ch, 1500)
		if on < 1000*off {
			t.Errorf("channel %d: power at %d Hz %.3g, at 1500 Hz %.3g: want the tone to dominate", ch, freq, on, off)
		}
	}
}

// With nothing playing, the monitor still delivers silence every 10 ms,
// and ReadAudio returns zeros at once.
func TestRecordSilence(t *testing.T) {
	s := startServer(t, session(t))
	r := record(t, s)
	waitFor(t, 5*time.Second, "the monitor to deliver 100 ms", func() bool { return r.Stats().FramesRead >= 10*uint64(chunkFrames) })

	start, first := time.Now(), r.Stats().FramesRead
	var slowest time.Duration
	tick := time.NewTicker(chunk)
	defer tick.Stop()
	for n := range 50 {
		<-tick.C
		pcm := make([]int16, chunkSamples)
		pcm[0], pcm[len(pcm)-1] = 1, 1
		t0 := time.Now()
		r.ReadAudio(pcm)
		slowest = max(slowest, time.Since(t0))
		if slices.ContainsFunc(pcm, func(v int16) bool { return v != 0 }) {
			t.Fatalf("frame %d not silent", n)
		}
	}
	rate := float64(r.Stats().FramesRead-first) / time.Since(start).Seconds()
	t.Logf("monitor rate %.0f frames/s, slowest ReadAudio %v, stats %+v", rate, slowest, r.Stats())
	if rate < 0.8*48000 || rate > 1.2*48000 {
		t.Errorf("monitor delivered %.0f frames/s, want about 48000: it should run continuously", rate)
	}
	if slowest > 20*time.Millisecond {
		t.Errorf("slowest ReadAudio took %v: it must not wait for the server", slowest)
	}
}

// A tone played into one session's server is not heard on another's.
func TestRecordIsolation(t *testing.T) {
	a, b := startServer(t, session(t)+"-a"), startServer(t, session(t)+"-b")
	ra, rb := record(t, a), record(t, b)
	play(t, a, 1000, true)
	frames := 0
	readFrames(t, ra, 5*time.Second, "the tone on server A", func(pcm []int16, _ time.Time) bool {
		other := make([]int16, len(pcm))
		rb.ReadAudio(other)
		if slices.ContainsFunc(other, func(v int16) bool { return v != 0 }) {
			t.Fatalf("server B's recorder hears sound (RMS %.0f) while only A plays", rms(other))
		}
		if frames > 0 || rms(pcm) > heard {
			frames++
		}
		return frames < 30
	})
}

// Closing the recorder frees its stream on the server; closing the server
// then leaves no marked process, and pacat, the game, is cut off.
func TestRecordCloseEndsEverything(t *testing.T) {
	sess := session(t)
	s := startServer(t, sess)
	r := record(t, s)
	p := play(t, s, 1000, true)
	readFrames(t, r, 5*time.Second, "the tone", func(pcm []int16, _ time.Time) bool { return rms(pcm) <= heard })
	env := gameEnv(t, s)
	if out, _ := pactl(env, "list", "short", "source-outputs"); len(strings.Fields(strings.TrimSpace(out))) == 0 || strings.Contains(strings.TrimSpace(out), "\n") {
		t.Fatalf("source outputs while recording:\n%s\nwant exactly one", out)
	}

	t0 := time.Now()
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Logf("Recorder.Close took %v", time.Since(t0))
	select {
	case <-r.Done():
	default:
		t.Fatal("Done open after Close")
	}
	if err := r.Close(); err != nil || r.Err() != nil {
		t.Errorf("second Close %v, Err %v: want nil, nil", err, r.Err())
	}
	if out, err := pactl(env, "list", "short", "source-outputs"); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("source outputs after Close (err %v):\n%s\nwant none", err, out)
	}
	pcm := make([]int16, chunkSamples)
	for range 20 { // drains what was buffered, then silence
		r.ReadAudio(pcm)
	}
	if rms(pcm) != 0 {
		t.Errorf("ReadAudio after Close and 200 ms drained: RMS %.0f, want silence", rms(pcm))
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Server.Close: %v", err)
	}
	if pids := marked(sess); len(pids) != 0 {
		t.Errorf("processes still marked %s after Close: %v", sess, pids)
	}
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	select {
	case err := <-exited:
		t.Logf("pacat ended: %v: %s", err, strings.TrimSpace(p.stderr.String()))
	case <-time.After(5 * time.Second):
		t.Errorf("pacat still running 5 s after its server closed")
	}
}

// A server that dies ends the recording with an error; ReadAudio goes on
// returning silence without waiting.
func TestRecordServerDies(t *testing.T) {
	s := startServer(t, session(t))
	r := record(t, s)
	waitFor(t, 5*time.Second, "the first read", func() bool { return r.Stats().FramesRead > 0 })
	if err := syscall.Kill(s.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("recording still running 5 s after its server was killed")
	}
	if r.Err() == nil {
		t.Fatal("Err nil after the server died")
	}
	t.Logf("recording ended with: %v", r.Err())
	t0 := time.Now()
	pcm := make([]int16, chunkSamples)
	for range 100 {
		r.ReadAudio(pcm)
	}
	if d := time.Since(t0); d > 100*time.Millisecond {
		t.Errorf("100 ReadAudio calls took %v after the server died: they must not wait", d)
	}
	if rms(pcm) != 0 {
		t.Errorf("ReadAudio after the server died: RMS %.0f, want silence", rms(pcm))
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close after the server died: %v", err)
	}
}

// Record fails at once without a reachable server, and never picks or
// spawns another.
func TestRecordNoServer(t *testing.T) {
	if _, err := Record("", "", "", testLog(t)); err == nil {
		t.Error("Record with no address succeeded")
	}
	t0 := time.Now()
	_, err := Record("unix:"+t.TempDir()+"/native", "", "", testLog(t))
	if err == nil {
		t.Fatal("Record on a missing socket succeeded")
	}
	t.Logf("Record on a missing socket: %v after %v", err, time.Since(t0))
}
