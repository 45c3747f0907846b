package session

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"stratus/encoder"
	"stratus/encoder/h264dec"
	"stratus/encoder/x264"
	"stratus/input"
	"stratus/title"
	"stratus/title/testpattern"
)

// recordingSink keeps every access unit the session sends and when it
// came, to be decoded after the session, as the player's browser would:
// decoding here, on the session loop, would slow the loop the test judges.
type recordingSink struct {
	mu  sync.Mutex
	aus []sentAU
}

type sentAU struct {
	at   time.Time
	data []byte
	key  bool
}

func (s *recordingSink) WriteVideo(au []byte, key bool, dur time.Duration) error {
	at := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aus = append(s.aus, sentAU{at, append([]byte(nil), au...), key})
	return nil
}

func (s *recordingSink) ReadInput(dst []input.Event) []input.Event { return dst }

func (s *recordingSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.aus)
}

// decoded is one picture the player would show: its size and when its
// access unit was sent.
type decoded struct {
	at   time.Time
	w, h int
	key  bool
}

// decodeAll decodes the recorded stream in order.
func (s *recordingSink) decodeAll(t *testing.T) []decoded {
	t.Helper()
	dec, err := h264dec.New(h264dec.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	var pics []decoded
	for i, au := range s.aus {
		frames, err := dec.Decode(au.data)
		if err != nil {
			t.Fatalf("decoding access unit %d: %v", i, err)
		}
		for _, f := range frames {
			pics = append(pics, decoded{au.at, f.Width, f.Height, au.key})
		}
	}
	return pics
}

// TestLadderThroughX264 drives a real session down the ladder and back up
// by moving the bitrate estimate, and decodes what it sends: the pictures
// change size at keyframes, the frame rate halves at the bottom rung, and
// the schedule never stalls while the encoder is reopened.
func TestLadderThroughX264(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := testpattern.New(title.Options{Width: 1280, Height: 720, FPS: 60})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := x264.New(encoder.Config{Width: 1280, Height: 720, FPS: 60, Bitrate: 6_000_000, Threads: 1}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	sk := &recordingSink{}
	s, err := New(Config{ID: "ladder", Title: p, Encoder: enc, Sink: sk}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)

	rungIs := func(name string) func() bool {
		return func() bool { return s.Stats().Rung == name }
	}
	s.SetBitrate(6_000_000)
	waitUntil(t, 5*time.Second, "the first pictures", func() bool { return sk.count() >= 10 })
	if st := s.Stats(); st.Rung != "720p60" {
		t.Fatalf("starts at rung %q, want 720p60", st.Rung)
	}
	s.SetBitrate(400_000) // far below every floor but the bottom's
	waitUntil(t, 10*time.Second, "the ladder's bottom rung", rungIs("360p30"))
	downAt := time.Now()
	waitUntil(t, 5*time.Second, "a second of bottom-rung pictures", func() bool { return time.Since(downAt) > time.Second })
	s.SetBitrate(8_000_000)
	waitUntil(t, 15*time.Second, "the top rung again", rungIs("720p60"))
	upAt := time.Now()
	waitUntil(t, 5*time.Second, "pictures at the top rung", func() bool { return time.Since(upAt) > 300*time.Millisecond })
	cancel()
	<-s.Done()

	pics := sk.decodeAll(t)
	// Each size's first picture must be a keyframe, and the sizes must be
	// the ladder's, in its order. The next rung's encoder is opened off
	// the loop, so a switch must not stall it: the bound is loose (a
	// loaded test machine delays single pictures by 100 ms and more; the
	// reopen's own cost is in BenchmarkPrepareResize720p), but a switch
	// that waited on the encoder's open or a keyframe round trip would
	// show. Gaps away from switches are not judged here.
	const maxSwitchGap = 300 * time.Millisecond
	var sizes []string
	for i, pc := range pics {
		size := fmt.Sprintf("%dx%d", pc.w, pc.h)
		if i > 0 && size == sizes[len(sizes)-1] {
			continue
		}
		if !pc.key {
			t.Errorf("picture %d changes size to %s without a keyframe", i, size)
		}
		sizes = append(sizes, size)
		if i > 0 {
			if gap := pc.at.Sub(pics[i-1].at); gap > maxSwitchGap {
				t.Errorf("picture %d, the first at %s, came %v after the one before", i, size, gap)
			}
		}
	}
	// Back up in one step: 8 Mbit/s has the margin for the top rung.
	want := []string{"1280x720", "960x540", "640x360", "1280x720"}
	if fmt.Sprint(sizes) != fmt.Sprint(want) {
		t.Errorf("picture sizes went %v, want %v", sizes, want)
	}
	st := s.Stats()
	if st.RungChanges != 4 {
		t.Errorf("%d rung changes, want 4 (three down, one up)", st.RungChanges)
	}
	// At 360p30 the pictures come every other slot: the median gap is
	// two slots (33 ms), where it is one (17 ms) at 60 fps; the upper
	// bound only tells every other slot from every third.
	var at30 []time.Duration
	for i := 1; i < len(pics); i++ {
		if pics[i].at.After(downAt) && pics[i].at.Before(downAt.Add(time.Second)) {
			at30 = append(at30, pics[i].at.Sub(pics[i-1].at))
		}
	}
	if len(at30) == 0 {
		t.Fatal("no pictures at the bottom rung")
	}
	slices.Sort(at30)
	if med := at30[len(at30)/2]; med < 25*time.Millisecond || med > 45*time.Millisecond {
		t.Errorf("pictures at 360p30 came every %v (median), want about 33 ms", med)
	}
}
