package edge

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"stratus/edge/api"
	"stratus/edge/gpu"
	"stratus/encoder"
)

var testPicture = encoder.Config{Width: 1280, Height: 720, FPS: 60, Bitrate: 4_000_000}

// newTestEncoders is the edge's encoder choice over fakes, with software
// room for soft sessions.
func newTestEncoders(t *testing.T, soft int, g *fakeGPUs, c *fakeCodecs) (*encoders, *int) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Capacity = soft
	inventory := func() gpu.Inventory { return gpu.Inventory{GPUs: []gpu.GPU{}} }
	if g != nil {
		inventory = g.Inventory
	}
	fellBack := new(int)
	return newEncoders(cfg, c.hardware(g), inventory, func() { *fellBack++ }, slog.New(slog.NewTextHandler(io.Discard, nil))), fellBack
}

func TestEncoderChoice(t *testing.T) {
	full := l4(0)
	full.EncoderSessions = 8 // another process holds every session the limits allow
	busy := l4(0)
	busy.EncoderCapacity = 0 // the engine is saturated
	tests := []struct {
		name   string
		gpus   *fakeGPUs // nil: no driver
		refuse map[int]bool
		// want is the encoder of each of the sessions opened in turn,
		// "full" for a refusal.
		want []string
	}{
		{"no driver", nil, nil, []string{"x264", "x264", "full"}},
		{"free NVENC GPU", newFakeGPUs(l4(0)), nil, []string{"nvenc", "nvenc", "nvenc"}},
		{"NVENC GPU full", newFakeGPUs(full), nil, []string{"x264", "x264", "full"}},
		{"NVENC engine saturated", newFakeGPUs(busy), nil, []string{"x264", "x264", "full"}},
		{"GPU without NVENC", newFakeGPUs(h200(0)), nil, []string{"x264", "x264", "full"}},
		{"NVENC does not open", newFakeGPUs(l4(0)), map[int]bool{0: true}, []string{"x264", "x264", "full"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeCodecs{refuse: tt.refuse}
			s, _ := newTestEncoders(t, 2, tt.gpus, c)
			for i, want := range tt.want {
				id := fmt.Sprint("s", i)
				enc, g, err := s.Open(id, testPicture)
				got := "full"
				if err == nil {
					got = enc.Name()
					if (got == "nvenc") != (g >= 0) {
						t.Errorf("session %d: encoder %s on GPU %d", i, got, g)
					}
				} else if ae, ok := api.AsError(err); !ok || ae.Code != api.CodeEdgeFull {
					t.Errorf("session %d: error %v, want edge full", i, err)
				}
				if got != want {
					t.Errorf("session %d: %s, want %s (err %v)", i, got, want, err)
				}
			}
			if tt.refuse != nil && c.nvencTries != 1 {
				t.Errorf("NVENC tried %d times on a GPU where it failed, want once (then benched)", c.nvencTries)
			}
		})
	}
}

// TestEncodersSpread: sessions alternate between two GPUs, a freed slot is
// reused, and no GPU takes more than the limits allow.
func TestEncodersSpread(t *testing.T) {
	c := &fakeCodecs{}
	s, _ := newTestEncoders(t, 1, newFakeGPUs(l4(0), l4(1)), c)
	s.limits.SessionsPerGPU = 2
	for i := range 4 {
		if _, _, err := s.Open(fmt.Sprint("s", i), testPicture); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(c.gpus()); got != "[0 1 0 1]" {
		t.Errorf("sessions on GPUs %s, want [0 1 0 1]", got)
	}
	// Both GPUs full: the software slot, then nothing.
	if enc, g, err := s.Open("soft", testPicture); err != nil || enc.Name() != "x264" || g != -1 {
		t.Errorf("fifth session: %v on GPU %d, err %v; want x264", enc, g, err)
	}
	if _, _, err := s.Open("none", testPicture); err == nil {
		t.Error("sixth session admitted beyond GPUs and software")
	}
	s.Release("s2") // on GPU 0
	s.Release("s2") // twice is harmless
	if _, g, err := s.Open("again", testPicture); err != nil || g != 0 {
		t.Errorf("after a release on GPU 0: GPU %d, err %v", g, err)
	}
	slots, placed := s.Slots(newFakeGPUs(l4(0), l4(1)).Inventory())
	if placed[0] != 2 || placed[1] != 2 || slots[0].Free != 0 || slots[1].Free != 0 {
		t.Errorf("placed %v, slots %+v; want 2 and 2, none free", placed, slots)
	}
	if soft, hard := s.Capacity(newFakeGPUs(l4(0), l4(1)).Inventory()); soft != 1 || hard != 4 {
		t.Errorf("capacity %d software + %d NVENC, want 1 + 4", soft, hard)
	}
}

// TestEncoderLost: a lost NVENC session goes on in x264 without losing a
// picture, is counted, moves to a software slot, and benches the GPU.
func TestEncoderLost(t *testing.T) {
	c := &fakeCodecs{loseAfter: 3}
	gpus := newFakeGPUs(l4(0))
	s, fellBack := newTestEncoders(t, 1, gpus, c)
	now := time.Unix(1700000000, 0)
	s.now = func() time.Time { return now }
	enc, g, err := s.Open("s0", testPicture)
	if err != nil || g != 0 {
		t.Fatalf("Open: GPU %d, err %v", g, err)
	}
	pic := encoder.NewI420(testPicture.Width, testPicture.Height)
	var names []string
	for i := range 5 {
		au, err := enc.Encode(pic)
		if err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
		if i == 3 && !au.Keyframe {
			t.Error("the first x264 picture is no keyframe")
		}
		names = append(names, enc.Name())
	}
	if got := fmt.Sprint(names); got != "[nvenc nvenc nvenc x264 x264]" {
		t.Errorf("encoders per picture %s", got)
	}
	if *fellBack != 1 || c.x264 != 1 {
		t.Errorf("fallbacks counted %d, x264 opened %d; want 1 and 1", *fellBack, c.x264)
	}
	if _, placed := s.Slots(gpus.Inventory()); placed[0] != 0 {
		t.Errorf("GPU 0 still counts %d sessions after the loss", placed[0])
	}
	// The GPU is benched, and the moved session holds the one software
	// slot: no room for another.
	if _, _, err := s.Open("s1", testPicture); err == nil {
		t.Error("a session was admitted onto a benched GPU or a full software encoder")
	}
	if soft, hard := s.Capacity(gpus.Inventory()); soft != 1 || hard != 0 {
		t.Errorf("capacity while benched %d + %d, want 1 + 0", soft, hard)
	}
	now = now.Add(nvencRetry + time.Second)
	if _, g, err := s.Open("s2", testPicture); err != nil || g != 0 {
		t.Errorf("after the retry period: GPU %d, err %v; want GPU 0", g, err)
	}
	enc.Close()
	s.Release("s0")
	if soft := s.soft; soft != 0 {
		t.Errorf("software sessions %d after release, want 0", soft)
	}
}
