package encoder

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

var (
	errLost    = errors.New("session lost")
	errPicture = errors.New("one bad picture")
)

func isLost(err error) bool { return errors.Is(err, errLost) }

// fake is an encoder that fails from picture failAt on (counting from 0)
// with failErr, and records what it was asked to do.
type fake struct {
	name    string
	failAt  int // -1: never
	failErr error

	mu       sync.Mutex
	tried    int // Encode calls, failed ones included
	encoded  []*I420
	idrs     int    // ForceIDR calls not yet consumed by an Encode
	keyed    []bool // per picture encoded
	bitrates []int
	closes   int
}

func newFake(name string, failAt int, failErr error) *fake {
	return &fake{name: name, failAt: failAt, failErr: failErr}
}

func (f *fake) Name() string { return f.name }

func (f *fake) Encode(pic *I420) (AccessUnit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closes > 0 {
		return AccessUnit{}, errors.New("encode after close")
	}
	if f.failAt >= 0 && f.tried >= f.failAt {
		f.tried++
		return AccessUnit{}, fmt.Errorf("%s: %w", f.name, f.failErr)
	}
	f.tried++
	key := f.idrs > 0 || len(f.encoded) == 0
	f.idrs = 0
	f.encoded = append(f.encoded, pic)
	f.keyed = append(f.keyed, key)
	return AccessUnit{Data: []byte(f.name), Keyframe: key}, nil
}

func (f *fake) ForceIDR() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.idrs++
}

func (f *fake) SetBitrate(bps int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bitrates = append(f.bitrates, bps)
}

func (f *fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closes++
	return nil
}

func pictures(n int) []*I420 {
	pics := make([]*I420, n)
	for i := range pics {
		pics[i] = NewI420(16, 16)
	}
	return pics
}

func TestWithFallback(t *testing.T) {
	tests := []struct {
		name    string
		failAt  int
		failErr error
		frames  int
		// want: the encoder of each picture ("" for an error), whether
		// the fallback was opened and the switch reported.
		want       []string
		wantSwitch bool
	}{
		{"never fails", -1, nil, 4, []string{"hw", "hw", "hw", "hw"}, false},
		{"lost after 2", 2, errLost, 5, []string{"hw", "hw", "sw", "sw", "sw"}, true},
		{"lost at once", 0, errLost, 2, []string{"sw", "sw"}, true},
		{"picture error is returned", 2, errPicture, 4, []string{"hw", "hw", "", ""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hw, sw := newFake("hw", tt.failAt, tt.failErr), newFake("sw", -1, nil)
			opened := 0
			var switches []string
			enc := WithFallback(hw, func() (Video, error) { opened++; return sw, nil }, isLost,
				func(from, to string, err error) {
					if !errors.Is(err, errLost) {
						t.Errorf("switch reported with %v, want the lost error", err)
					}
					switches = append(switches, from+"→"+to)
				})
			defer enc.Close()
			pics := pictures(tt.frames)
			for i, pic := range pics {
				au, err := enc.Encode(pic)
				got := string(au.Data)
				if err != nil {
					got = ""
					if !errors.Is(err, tt.failErr) {
						t.Errorf("picture %d: error %v, want %v", i, err, tt.failErr)
					}
				}
				if got != tt.want[i] {
					t.Errorf("picture %d encoded by %q, want %q (err %v)", i, got, tt.want[i], err)
				}
				if err == nil && enc.Name() != got {
					t.Errorf("picture %d: Name() %q, encoded by %q", i, enc.Name(), got)
				}
			}
			if gotSwitch := len(switches) == 1 && switches[0] == "hw→sw"; gotSwitch != tt.wantSwitch || opened != len(switches) {
				t.Errorf("switches %v, fallback opened %d times; want switch %v", switches, opened, tt.wantSwitch)
			}
			if !tt.wantSwitch {
				return
			}
			if hw.closes != 1 {
				t.Errorf("lost encoder closed %d times, want 1", hw.closes)
			}
			// The picture that failed is the fallback's first, and an IDR.
			if len(sw.encoded) == 0 || sw.encoded[0] != pics[tt.failAt] || !sw.keyed[0] {
				t.Errorf("fallback's first picture is not the lost one as an IDR")
			}
			for i, k := range sw.keyed[1:] {
				if k {
					t.Errorf("fallback picture %d is a keyframe nobody asked for", i+1)
				}
			}
		})
	}
}

func TestWithFallbackCarriesControl(t *testing.T) {
	hw, sw := newFake("hw", 1, errLost), newFake("sw", -1, nil)
	enc := WithFallback(hw, func() (Video, error) { return sw, nil }, isLost, nil)
	enc.SetBitrate(3_000_000)
	enc.SetBitrate(2_500_000)
	pics := pictures(3)
	if _, err := enc.Encode(pics[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Encode(pics[1]); err != nil {
		t.Fatal(err)
	}
	if len(sw.bitrates) != 1 || sw.bitrates[0] != 2_500_000 {
		t.Errorf("fallback bitrates %v, want the last one set, 2500000", sw.bitrates)
	}
	enc.SetBitrate(1_000_000)
	enc.ForceIDR()
	au, err := enc.Encode(pics[2])
	if err != nil || !au.Keyframe {
		t.Errorf("after ForceIDR: keyframe %v, err %v", au.Keyframe, err)
	}
	if got := sw.bitrates[len(sw.bitrates)-1]; got != 1_000_000 {
		t.Errorf("SetBitrate after the switch reached the fallback as %d", got)
	}
	if hw.idrs != 0 || len(hw.bitrates) != 2 {
		t.Errorf("the lost encoder got control after the switch: %d IDRs, bitrates %v", hw.idrs, hw.bitrates)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if sw.closes != 1 || hw.closes != 1 {
		t.Errorf("closes: fallback %d, lost %d; want 1 each", sw.closes, hw.closes)
	}
	if _, err := enc.Encode(pics[0]); err == nil {
		t.Error("Encode after Close succeeded")
	}
}

func TestWithFallbackOpenFails(t *testing.T) {
	hw := newFake("hw", 0, errLost)
	why := errors.New("no libx264")
	switched := false
	enc := WithFallback(hw, func() (Video, error) { return nil, why }, isLost, func(string, string, error) { switched = true })
	defer enc.Close()
	for range 2 {
		_, err := enc.Encode(NewI420(16, 16))
		if !errors.Is(err, why) || !errors.Is(err, errLost) {
			t.Errorf("error %v, want one naming both the loss and the failed fallback", err)
		}
	}
	if switched || hw.closes != 1 {
		t.Errorf("switch reported %v, lost encoder closed %d times", switched, hw.closes)
	}
	enc.ForceIDR() // no encoder to reach: must not crash
	enc.SetBitrate(1_000_000)
}

// TestWithFallbackConcurrentControl runs ForceIDR, SetBitrate and Name
// against the switch, for the race detector.
func TestWithFallbackConcurrentControl(t *testing.T) {
	hw, sw := newFake("hw", 50, errLost), newFake("sw", -1, nil)
	enc := WithFallback(hw, func() (Video, error) { return sw, nil }, isLost, nil)
	defer enc.Close()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			enc.ForceIDR()
			enc.SetBitrate(1_000_000 + i)
			_ = enc.Name()
		}
	}()
	pic := NewI420(16, 16)
	for i := range 100 {
		if _, err := enc.Encode(pic); err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
	}
	close(done)
	wg.Wait()
	if enc.Name() != "sw" {
		t.Errorf("Name() %q after the switch", enc.Name())
	}
}
