package session

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"stratus/encoder"
	"stratus/encoder/x264"
	"stratus/input"
	"stratus/title"
	"stratus/title/testpattern"
)

// sink records what the session sends and feeds it input, as a player's
// connection would.
type sink struct {
	mu     sync.Mutex
	frames []sent
	queue  []input.Event
}

type sent struct {
	size     int
	keyframe bool
	dur      time.Duration
}

func (s *sink) WriteVideo(au []byte, key bool, dur time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames = append(s.frames, sent{len(au), key, dur})
	return nil
}

func (s *sink) ReadInput(dst []input.Event) []input.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	dst = append(dst, s.queue...)
	s.queue = s.queue[:0]
	return dst
}

func (s *sink) push(evs ...input.Event) {
	s.mu.Lock()
	s.queue = append(s.queue, evs...)
	s.mu.Unlock()
}

func (s *sink) sent() []sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sent(nil), s.frames...)
}

// slowTitle wraps a title and makes Render take at least delay.
type slowTitle struct {
	title.Title
	delay  time.Duration
	closed int
}

func (t *slowTitle) Render(now time.Time) (*title.Frame, error) {
	time.Sleep(t.delay)
	return t.Title.Render(now)
}

func (t *slowTitle) Close() error { t.closed++; return t.Title.Close() }

func newTest(t *testing.T, delay time.Duration, edit func(*Config)) (*Session, *sink, *slowTitle, *testpattern.Pattern) {
	t.Helper()
	p, err := testpattern.New(title.Options{Width: 640, Height: 360, FPS: 60})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := x264.New(encoder.Config{Width: 640, Height: 360, FPS: 60, Bitrate: 1_000_000, Threads: 1}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	tt := &slowTitle{Title: p, delay: delay}
	sk := &sink{}
	cfg := Config{ID: "s1", Title: tt, Encoder: enc, Sink: sk}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s, sk, tt, p
}

// waitUntil polls cond, failing with why after limit.
func waitUntil(t *testing.T, limit time.Duration, why string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, why)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFramesAndInput(t *testing.T) {
	s, sk, tt, p := newTest(t, 0, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)

	waitUntil(t, 5*time.Second, "30 frames", func() bool { return len(sk.sent()) >= 30 })
	frames := sk.sent()
	if !frames[0].keyframe {
		t.Fatal("first frame is not a keyframe")
	}
	sk.push(
		input.Event{Kind: input.KindKeyDown, Code: 'A'},
		input.Event{Kind: input.KindKeyUp, Code: 'A'},
		input.Event{Kind: input.KindPing, PingID: 1}, // not player input
		input.Event{Kind: input.KindMouseMove, Seq: 2},
		input.Event{Kind: input.KindMouseMove, Seq: 1}, // stale: dropped
	)
	waitUntil(t, 2*time.Second, "three inputs applied", func() bool { return s.Stats().Inputs == 3 })

	s.ForceIDR()
	n := len(sk.sent())
	waitUntil(t, 2*time.Second, "a forced keyframe", func() bool {
		for _, f := range sk.sent()[n:] {
			if f.keyframe {
				return true
			}
		}
		return false
	})

	s.Stop(nil)
	<-s.Done()
	if !errors.Is(s.Err(), ErrStopped) {
		t.Fatalf("ended with %v, want ErrStopped", s.Err())
	}
	if tt.closed != 1 {
		t.Fatalf("title closed %d times, want 1", tt.closed)
	}
	if got := p.Inputs(); got != 3 {
		t.Fatalf("title counted %d inputs, want 3", got)
	}
}

// TestSkipsInsteadOfQueueing: when a frame takes longer than the frame
// interval, the missed slots are skipped; frames never pile up behind.
func TestSkipsInsteadOfQueueing(t *testing.T) {
	s, sk, _, _ := newTest(t, 40*time.Millisecond, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	waitUntil(t, 5*time.Second, "10 slow frames", func() bool { return len(sk.sent()) >= 10 })
	cancel()
	<-s.Done()
	st := s.Stats()
	if st.Skipped < st.Frames {
		t.Fatalf("%d frames sent and only %d slots skipped with a 40 ms render at 60 fps", st.Frames, st.Skipped)
	}
	// The RTP durations follow the real spacing, so the player's clock
	// does not drift.
	for _, f := range sk.sent()[1:] {
		if f.dur < 30*time.Millisecond {
			t.Fatalf("frame sent with duration %v after a 40 ms render", f.dur)
		}
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want error
	}{
		{"idle", func(c *Config) { c.IdleTimeout = 100 * time.Millisecond }, ErrIdle},
		{"time up", func(c *Config) { c.MaxDuration = 100 * time.Millisecond }, ErrTimeUp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _, _ := newTest(t, 0, tt.edit)
			if err := s.Run(context.Background()); !errors.Is(err, tt.want) {
				t.Fatalf("Run = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{IdleTimeout: -1}.Validate()
	if err == nil {
		t.Fatal("empty config accepted")
	}
	for _, want := range []string{"empty id", "no title", "no encoder", "no sink", "negative"} {
		if !contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// snapTitle is a title whose state can be saved.
type snapTitle struct {
	*slowTitle
	n int
}

func (t *snapTitle) Snapshot() ([]byte, error) { t.n++; return []byte{byte(t.n)}, nil }
func (t *snapTitle) Restore([]byte) error      { return nil }

func TestSnapshots(t *testing.T) {
	var mu sync.Mutex
	var got [][]byte
	s, _, _, _ := newTest(t, 0, func(c *Config) {
		c.Title = &snapTitle{slowTitle: c.Title.(*slowTitle)}
		c.SnapshotEvery = 50 * time.Millisecond
		c.OnSnapshot = func(b []byte) {
			mu.Lock()
			got = append(got, b)
			mu.Unlock()
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	go s.Run(ctx)
	waitUntil(t, 5*time.Second, "three snapshots", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= 3
	})
	cancel()
	<-s.Done()
	// At most one per 50 ms, whatever the frame rate.
	elapsed := time.Since(start)
	if limit := int(elapsed/(50*time.Millisecond)) + 1; len(got) > limit {
		t.Fatalf("%d snapshots in %v, want at most %d", len(got), elapsed, limit)
	}
}

// audioSink is a sink that also carries sound.
type audioSink struct {
	sink
	mu      sync.Mutex
	packets int
	dur     time.Duration
}

func (s *audioSink) WriteAudio(pkt []byte, dur time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.packets++
	s.dur += dur
	return nil
}

// TestSound: a title that makes sound is heard at real-time pace, in 10 ms
// packets, whatever the frame rate.
func TestSound(t *testing.T) {
	p, err := testpattern.New(title.Options{Width: 640, Height: 360, FPS: 60})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := x264.New(encoder.Config{Width: 640, Height: 360, FPS: 60, Bitrate: 1_000_000, Threads: 1}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	sk := &audioSink{}
	s, err := New(Config{ID: "a", Title: p, Encoder: enc, Sink: sk}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	go s.Run(ctx)
	waitUntil(t, 5*time.Second, "50 sound packets", func() bool {
		sk.mu.Lock()
		defer sk.mu.Unlock()
		return sk.packets >= 50
	})
	cancel()
	<-s.Done()
	elapsed := time.Since(start)
	sk.mu.Lock()
	defer sk.mu.Unlock()
	if sk.dur > elapsed+audioFrame {
		t.Fatalf("%v of sound in %v: ahead of real time", sk.dur, elapsed)
	}
	if st := s.Stats(); st.AudioPackets != int64(sk.packets) {
		t.Fatalf("stats count %d packets, sink got %d", st.AudioPackets, sk.packets)
	}
}
