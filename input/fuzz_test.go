package input

import (
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bytes to the decoder: it must never panic, must
// add nothing on error, and whatever it accepts must re-encode to the same
// bytes. Seeds live in testdata/fuzz/FuzzDecode and run with every go test.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x01, 65, 0, 0})
	f.Add(Append(Append(nil, Event{Kind: KindMouseMove, Seq: 1, X: 2, Y: 3, AccX: -4, AccY: 5}), Event{Kind: KindWheel, DY: 3}))
	f.Add(Append(nil, Event{Kind: KindGamepad, Buttons: 0x1ffff, Axes: [4]int16{1, -1, 2, -2}}))
	f.Add(Append(nil, Event{Kind: KindPing, PingID: 1, ClientMs: 2}))
	f.Add([]byte{0x09})
	f.Add(Append(Append(nil, Event{Kind: KindPresent, Frames: 60}), Event{Kind: KindReceive, Freezes: 2, FreezeTime: 350 * time.Millisecond, FECUsed: 9}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, msg []byte) {
		evs, err := Decode(nil, msg)
		if err != nil {
			if len(evs) != 0 {
				t.Fatalf("error %v but %d events", err, len(evs))
			}
			return
		}
		var out []byte
		for _, e := range evs {
			out = Append(out, e)
		}
		// NaN floats in pings re-encode with the same bits, so bytes match.
		if string(out) != string(msg) && !hasMouseButtonFlag(msg) {
			t.Fatalf("re-encoding differs:\n in  %x\n out %x", msg, out)
		}
	})
}

// hasMouseButtonFlag reports whether msg has a mouse-button event whose
// "down" byte is neither 0 nor 1: the decoder normalises it to a bool.
func hasMouseButtonFlag(msg []byte) bool {
	for off := 0; off < len(msg); {
		k := Kind(msg[off])
		if k == KindMouseButton && msg[off+2] > 1 {
			return true
		}
		off += k.Size()
	}
	return false
}
