package pulse

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"stratus/title"
)

const (
	// chunk is how much audio one read from the server carries, and the
	// fragment size the server is asked for: the session sends 10 ms Opus
	// frames, so anything larger would only add delay.
	chunk        = 10 * time.Millisecond
	chunkFrames  = title.AudioRate * int(chunk/time.Millisecond) / 1000
	chunkSamples = chunkFrames * title.AudioChannels
	// sampleBytes is the size of one S16LE sample.
	sampleBytes = 2
	// bufferSamples bounds what the Recorder holds while nobody calls
	// ReadAudio: 100 ms. More would only be sound the player hears late.
	bufferSamples = 10 * chunkSamples
	// slackSamples is what ReadAudio leaves buffered beyond what it was
	// asked for, at most: one chunk, which absorbs a chunk that arrives a
	// little after the session's tick without an underrun. Anything older
	// is dropped: once behind, the buffer would otherwise stay behind, as
	// the server and the session both run at 48 kHz on the same clock.
	slackSamples = chunkSamples
	// closeWait bounds how long Close waits for the read loop. A read on a
	// live server returns within a chunk; one on a server that hangs
	// without closing its socket could block until that server is killed.
	closeWait = time.Second
)

// Stats are a Recorder's counters since Record. A frame is one sample for
// each channel, 1/48000 s.
type Stats struct {
	FramesRead    uint64 // frames received from the server
	DroppedFrames uint64 // frames discarded, oldest first, to bound the delay
	Underruns     uint64 // ReadAudio calls that found less than asked for
	PaddedFrames  uint64 // frames of silence ReadAudio added for those
	Buffered      int    // frames waiting now for ReadAudio
}

// Recorder records a server's monitor source into a buffer that ReadAudio
// drains. A goroutine that the Recorder owns reads from the server; Close
// ends it.
type Recorder struct {
	log  *slog.Logger
	stop atomic.Bool   // asks the read loop to end after its current read
	done chan struct{} // closed when the read loop has ended and freed its connection

	mu    sync.Mutex
	ring  *ring
	stats Stats
	err   error // why the read loop ended on its own

	closeOnce sync.Once
	closeErr  error
}

func newRecorder(log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.Default()
	}
	return &Recorder{
		log:  log,
		done: make(chan struct{}),
		ring: newRing(bufferSamples, title.AudioChannels),
	}
}

// ReadAudio fills pcm with buffered samples, interleaved stereo at
// title.AudioRate, and the rest with silence. It never waits for the
// server: the session calls it between frames. If more than len(pcm) plus
// 10 ms is buffered (the session started late, or stalled), it first drops
// the oldest of it, so that the sound catches up with the picture.
func (r *Recorder) ReadAudio(pcm []int16) {
	r.mu.Lock()
	if over := r.ring.len() - len(pcm) - slackSamples; over > 0 {
		r.stats.DroppedFrames += uint64(r.ring.drop(over) / title.AudioChannels)
	}
	n := r.ring.pop(pcm)
	if n < len(pcm) {
		r.stats.Underruns++
		r.stats.PaddedFrames += uint64((len(pcm) - n) / title.AudioChannels)
	}
	r.mu.Unlock()
	clear(pcm[n:])
}

// put hands one read's samples to ReadAudio.
func (r *Recorder) put(pcm []int16) {
	r.mu.Lock()
	dropped := r.ring.push(pcm)
	r.stats.FramesRead += uint64(len(pcm) / title.AudioChannels)
	r.stats.DroppedFrames += uint64(dropped / title.AudioChannels)
	r.mu.Unlock()
}

// fail records why the read loop ended.
func (r *Recorder) fail(err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
	r.log.Warn("pulse: recording ended", "err", err)
}

// Stats returns the counters so far.
func (r *Recorder) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Buffered = r.ring.len() / title.AudioChannels
	return s
}

// Done is closed when the recording has ended: after Close, or when the
// server went away (then Err says why).
func (r *Recorder) Done() <-chan struct{} { return r.done }

// Err is why the recording ended on its own, such as the server exiting;
// nil while it runs or after Close.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Close ends the recording and waits for the read loop to free its
// connection. The loop alone touches the connection, since libpulse's
// main loop is not to be used from two threads at once: Close
// only asks, and the loop stops after its current read, within about 10
// ms. Should that read hang (a server stopped but not dead), Close gives up
// after a second and says so; the loop then ends when the server is
// closed. ReadAudio keeps working after Close, returning silence. Close is
// safe to call twice.
func (r *Recorder) Close() error {
	r.closeOnce.Do(func() {
		r.stop.Store(true)
		t := time.NewTimer(closeWait)
		defer t.Stop()
		select {
		case <-r.done:
		case <-t.C:
			r.closeErr = fmt.Errorf("pulse: recorder still in a read after %v; it ends when the server does", closeWait)
		}
	})
	return r.closeErr
}
