package uinput

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"stratus/input"
)

// ev is one decoded struct input_event, timestamp dropped.
type ev struct {
	typ, code uint16
	value     int32
}

// decode splits written bytes back into events, failing on a partial one
// or a non-zero timestamp (the kernel stamps events; we must not).
func decode(t *testing.T, b []byte) []ev {
	t.Helper()
	if len(b)%eventSize != 0 {
		t.Fatalf("%d bytes is not a whole number of %d-byte events", len(b), eventSize)
	}
	var out []ev
	for ; len(b) > 0; b = b[eventSize:] {
		if !bytes.Equal(b[:2*longSize], make([]byte, 2*longSize)) {
			t.Fatalf("non-zero timestamp % x", b[:2*longSize])
		}
		e := b[2*longSize:]
		out = append(out, ev{
			binary.NativeEndian.Uint16(e),
			binary.NativeEndian.Uint16(e[2:]),
			int32(binary.NativeEndian.Uint32(e[4:])),
		})
	}
	return out
}

func littleEndian() bool { return binary.NativeEndian.Uint16([]byte{1, 0}) == 1 }

func TestIoctlNumbers(t *testing.T) {
	// The values <linux/uinput.h> gives on x86-64 and arm64.
	for _, c := range []struct {
		name      string
		got, want uint
	}{
		{"UI_DEV_CREATE", uiDevCreate, 0x5501},
		{"UI_DEV_DESTROY", uiDevDestroy, 0x5502},
		{"UI_DEV_SETUP", uiDevSetup, 0x405c5503},
		{"UI_ABS_SETUP", uiAbsSetup, 0x401c5504},
		{"UI_SET_EVBIT", uiSetEvBit, 0x40045564},
		{"UI_SET_KEYBIT", uiSetKeyBit, 0x40045565},
		{"UI_SET_ABSBIT", uiSetAbsBit, 0x40045567},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func TestStructSizes(t *testing.T) {
	if n := len(setupBytes(defaultName)); n != 92 {
		t.Errorf("uinput_setup is %d bytes, want 92", n)
	}
	if n := len(absSetupBytes(absX, -32768, 32767, 16, 128)); n != 28 {
		t.Errorf("uinput_abs_setup is %d bytes, want 28", n)
	}
	if n := len(appendEvent(nil, evKey, btnSouth, 1)); n != eventSize {
		t.Errorf("appendEvent wrote %d bytes, eventSize is %d", n, eventSize)
	}
	if longSize == 8 && eventSize != 24 {
		t.Errorf("input_event is %d bytes on a 64-bit machine, want 24", eventSize)
	}
}

func TestEventBytes(t *testing.T) {
	if !littleEndian() || longSize != 8 {
		t.Skip("exact bytes are written for 64-bit little-endian machines")
	}
	want := append(make([]byte, 16), 0x01, 0x00, 0x30, 0x01, 0x01, 0x00, 0x00, 0x00)
	if got := appendEvent(nil, evKey, btnSouth, 1); !bytes.Equal(got, want) {
		t.Errorf("press A:\n got % x\nwant % x", got, want)
	}
	want = append(make([]byte, 16), 0x03, 0x00, 0x01, 0x00, 0x00, 0x80, 0xff, 0xff)
	if got := appendEvent(nil, evAbs, absY, -32768); !bytes.Equal(got, want) {
		t.Errorf("ABS_Y -32768:\n got % x\nwant % x", got, want)
	}
}

func TestSetupLayout(t *testing.T) {
	b := setupBytes("Stratus Pad")
	u16 := func(off int) uint16 { return binary.NativeEndian.Uint16(b[off:]) }
	if u16(0) != busUSB || u16(2) != 0x045e || u16(4) != 0x028e || u16(6) != 0x0114 {
		t.Errorf("input_id = %04x %04x %04x %04x, want 0003 045e 028e 0114", u16(0), u16(2), u16(4), u16(6))
	}
	if name := string(bytes.TrimRight(b[8:88], "\x00")); name != "Stratus Pad" {
		t.Errorf("name = %q", name)
	}
	if ff := binary.NativeEndian.Uint32(b[88:]); ff != 0 {
		t.Errorf("ff_effects_max = %d, want 0", ff)
	}

	long := setupBytes(strings.Repeat("n", 200))
	if len(long) != 92 || long[8+78] != 'n' || long[8+79] != 0 {
		t.Errorf("long name not cut to 79 bytes plus NUL: % x", long[80:92])
	}
}

func TestAbsSetupLayout(t *testing.T) {
	b := absSetupBytes(absRY, -32768, 32767, 16, 128)
	if code := binary.NativeEndian.Uint16(b); code != absRY {
		t.Errorf("code = %#x", code)
	}
	if b[2] != 0 || b[3] != 0 {
		t.Errorf("filler = % x, want zero", b[2:4])
	}
	var info [6]int32
	for i := range info {
		info[i] = int32(binary.NativeEndian.Uint32(b[4+4*i:]))
	}
	if want := [6]int32{0, -32768, 32767, 16, 128, 0}; info != want {
		t.Errorf("absinfo {value min max fuzz flat res} = %v, want %v", info, want)
	}
}

// pad builds a gamepad event for pad 0 from held buttons and analog state.
func pad(axes [4]int16, lt, rt uint8, held ...int) input.Event {
	e := input.Event{Kind: input.KindGamepad, Axes: axes, LT: lt, RT: rt}
	for _, b := range held {
		e.Buttons |= 1 << uint(b)
	}
	return e
}

func TestDiff(t *testing.T) {
	var zero [4]int16
	syn := ev{evSyn, synReport, 0}
	cases := []struct {
		name       string
		prev, next input.Event
		want       []ev
	}{
		{"no change", pad(zero, 0, 0), pad(zero, 0, 0), nil},
		{"no change while held", pad([4]int16{5, 6, 7, 8}, 9, 10, input.PadA), pad([4]int16{5, 6, 7, 8}, 9, 10, input.PadA), nil},
		{"press A", pad(zero, 0, 0), pad(zero, 0, 0, input.PadA), []ev{{evKey, btnSouth, 1}, syn}},
		{"release A", pad(zero, 0, 0, input.PadA), pad(zero, 0, 0), []ev{{evKey, btnSouth, 0}, syn}},
		{"B is east", pad(zero, 0, 0), pad(zero, 0, 0, input.PadB), []ev{{evKey, btnEast, 1}, syn}},
		{"X (left) is BTN_X", pad(zero, 0, 0), pad(zero, 0, 0, input.PadX), []ev{{evKey, 0x133, 1}, syn}},
		{"Y (top) is BTN_Y", pad(zero, 0, 0), pad(zero, 0, 0, input.PadY), []ev{{evKey, 0x134, 1}, syn}},
		{"shoulders, menu, sticks, home", pad(zero, 0, 0),
			pad(zero, 0, 0, input.PadLB, input.PadRB, input.PadSelect, input.PadStart, input.PadLS, input.PadRS, input.PadHome),
			[]ev{{evKey, btnTL, 1}, {evKey, btnTR, 1}, {evKey, btnSelect, 1}, {evKey, btnStart, 1},
				{evKey, btnMode, 1}, {evKey, btnThumbL, 1}, {evKey, btnThumbR, 1}, syn}},
		{"left stick", pad(zero, 0, 0), pad([4]int16{-32767, 12000, 0, 0}, 0, 0),
			[]ev{{evAbs, absX, -32767}, {evAbs, absY, 12000}, syn}},
		{"right stick only the axis that moved", pad([4]int16{0, 0, 100, 200}, 0, 0), pad([4]int16{0, 0, 100, -200}, 0, 0),
			[]ev{{evAbs, absRY, -200}, syn}},
		{"stick back to centre", pad([4]int16{0, 0, 32767, 0}, 0, 0), pad(zero, 0, 0), []ev{{evAbs, absRX, 0}, syn}},
		{"analog triggers", pad(zero, 0, 0), pad(zero, 128, 255, input.PadLT, input.PadRT),
			[]ev{{evAbs, absZ, 128}, {evAbs, absRZ, 255}, syn}},
		{"trigger bit alone is a full pull", pad(zero, 0, 0), pad(zero, 0, 0, input.PadLT),
			[]ev{{evAbs, absZ, 255}, syn}},
		{"trigger released", pad(zero, 0, 40), pad(zero, 0, 0), []ev{{evAbs, absRZ, 0}, syn}},
		{"d-pad up-left", pad(zero, 0, 0), pad(zero, 0, 0, input.PadUp, input.PadLeft),
			[]ev{{evAbs, absHat0X, -1}, {evAbs, absHat0Y, -1}, syn}},
		{"d-pad down-right", pad(zero, 0, 0), pad(zero, 0, 0, input.PadDown, input.PadRight),
			[]ev{{evAbs, absHat0X, 1}, {evAbs, absHat0Y, 1}, syn}},
		{"opposite d-pad cancels", pad(zero, 0, 0, input.PadLeft), pad(zero, 0, 0, input.PadLeft, input.PadRight),
			[]ev{{evAbs, absHat0X, 0}, syn}},
		{"keys before axes, one report", pad(zero, 0, 0, input.PadB), pad([4]int16{1, 0, 0, 0}, 3, 0, input.PadA),
			[]ev{{evKey, btnSouth, 1}, {evKey, btnEast, 0}, {evAbs, absX, 1}, {evAbs, absZ, 3}, syn}},
		{"unmapped bits ignored", pad(zero, 0, 0), input.Event{Kind: input.KindGamepad, Buttons: 1 << 20}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prev, next := reportOf(c.prev), reportOf(c.next)
			var w countingWriter
			_, wrote, err := writeDiff(&w, nil, &prev, &next)
			if err != nil {
				t.Fatal(err)
			}
			if wrote != (c.want != nil) || w.writes > 1 {
				t.Fatalf("wrote=%v in %d writes, want one write iff events expected", wrote, w.writes)
			}
			if got := decode(t, w.Bytes()); !reflect.DeepEqual(got, c.want) {
				t.Errorf("events\n got %v\nwant %v", got, c.want)
			}
		})
	}
}

// countingWriter is a bytes.Buffer that counts Write calls.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(b)
}
