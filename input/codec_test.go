package input

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	events := []Event{
		{Kind: KindKeyDown, Code: 'A', Mods: ModShift | ModCtrl},
		{Kind: KindKeyUp, Code: KeySpace},
		{Kind: KindMouseButton, Button: 2, Down: true},
		{Kind: KindMouseButton, Button: 0},
		{Kind: KindMouseMove, Seq: 65535, X: 1, Y: 65535, AccX: -123456, AccY: 987654},
		{Kind: KindWheel, DX: -120, DY: 240},
		{Kind: KindGamepad, Seq: 7, Pad: 3, Buttons: 1<<PadA | 1<<PadHome, Axes: [4]int16{-32767, 32767, 0, 5}, LT: 10, RT: 255},
		{Kind: KindTouch, TouchID: 4, Phase: TouchEnd, X: 30000, Y: 200},
		{Kind: KindPing, PingID: 99, ClientMs: 1234.5},
		{Kind: KindPresent, Refresh: 16667 * time.Microsecond, WaitP10: 1230 * time.Microsecond, WaitP50: 9870 * time.Microsecond, Frames: 60, Missed: 2},
		{Kind: KindReceive, Freezes: 65535, FreezeTime: 4294967295 * time.Millisecond, LongestFreeze: 1234 * time.Millisecond, FECUsed: 77},
		{Kind: KindBeat, Seq: 65535},
	}
	for _, e := range events {
		t.Run(e.Kind.String(), func(t *testing.T) {
			b := Append(nil, e)
			if len(b) != e.Kind.Size() {
				t.Fatalf("encoded %d bytes, want %d", len(b), e.Kind.Size())
			}
			got, err := Decode(nil, b)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != e {
				t.Fatalf("round trip: got %+v, want %+v", got, e)
			}
		})
	}
	// All of them in one message, as a batch.
	var msg []byte
	for _, e := range events {
		msg = Append(msg, e)
	}
	got, err := Decode(nil, msg)
	if err != nil || len(got) != len(events) {
		t.Fatalf("batch: %d events, err %v", len(got), err)
	}
}

func TestDecodeRejects(t *testing.T) {
	key := Append(nil, Event{Kind: KindKeyDown, Code: 65})
	tests := []struct {
		name string
		msg  []byte
		want error
	}{
		{"empty", nil, ErrEmpty},
		{"unknown type", []byte{0x7f, 1, 2}, ErrUnknown},
		{"zero type", []byte{0x00}, ErrUnknown},
		{"truncated", key[:3], ErrTruncated},
		{"good then truncated", append(append([]byte{}, key...), 0x04, 1), ErrTruncated},
		{"good then unknown", append(append([]byte{}, key...), 0xff), ErrUnknown},
		{"too large", bytes.Repeat(key, MaxMessage/4+1), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prior := []Event{{Kind: KindKeyUp}}
			got, err := Decode(prior, tt.msg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if len(got) != 1 {
				t.Fatalf("a rejected message must add nothing, got %d events", len(got))
			}
		})
	}
}

func TestNewer(t *testing.T) {
	tests := []struct {
		a, b uint16
		want bool
	}{
		{1, 0, true}, {0, 1, false}, {5, 5, false}, {0, 65535, true}, {65535, 0, false}, {50000, 10000, false}, {30000, 10000, true},
	}
	for _, tt := range tests {
		if got := Newer(tt.a, tt.b); got != tt.want {
			t.Errorf("Newer(%d, %d) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestReceiver(t *testing.T) {
	var r Receiver
	move := func(seq uint16, x, y int32) Event {
		return Event{Kind: KindMouseMove, Seq: seq, AccX: x, AccY: y}
	}
	steps := []struct {
		in      Event
		ok      bool
		relX, y int32
	}{
		{move(1, 10, 5), true, 0, 0},
		{move(3, 15, 9), true, 5, 4},
		{move(2, 12, 7), false, 0, 0}, // late: its motion is already in seq 3's sums
		{move(4, 15, 9), true, 0, 0},
		{Event{Kind: KindGamepad, Seq: 9, Pad: 0}, true, 0, 0},
		{Event{Kind: KindGamepad, Seq: 1, Pad: 1}, true, 0, 0}, // pads are independent
		{Event{Kind: KindGamepad, Seq: 8, Pad: 0}, false, 0, 0},
		{Event{Kind: KindGamepad, Seq: 10, Pad: 0}, false, 0, 0}, // same state re-sent
		{Event{Kind: KindGamepad, Seq: 11, Pad: 0, Buttons: 1}, true, 0, 0},
		{Event{Kind: KindKeyDown, Code: 1}, true, 0, 0},
	}
	for i, s := range steps {
		got, ok := r.Accept(s.in)
		if ok != s.ok || got.RelX != s.relX || got.RelY != s.y {
			t.Fatalf("step %d: ok=%v rel=(%d,%d), want ok=%v rel=(%d,%d)", i, ok, got.RelX, got.RelY, s.ok, s.relX, s.y)
		}
	}
	if r.Stale != 2 || r.Repeats != 1 {
		t.Fatalf("stale = %d, repeats = %d, want 2 and 1", r.Stale, r.Repeats)
	}
}

func TestReceiverPadLimit(t *testing.T) {
	var r Receiver
	for _, tt := range []struct {
		pad  uint8
		want bool
	}{{0, true}, {MaxPads - 1, true}, {MaxPads, false}, {255, false}} {
		if _, ok := r.Accept(Event{Kind: KindGamepad, Seq: 1, Pad: tt.pad, Buttons: 1}); ok != tt.want {
			t.Errorf("pad %d accepted %v, want %v", tt.pad, ok, tt.want)
		}
	}
	if r.ExtraPads != 2 {
		t.Errorf("ExtraPads %d, want 2", r.ExtraPads)
	}
}
