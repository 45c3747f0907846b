package uinput

import (
	"encoding/binary"
	"io"

	"stratus/input"
)

// longSize is sizeof(long) in the kernel ABI: 8 on 64-bit, 4 on 32-bit. The
// timestamp at the head of struct input_event is two longs (a timeval on
// 64-bit, __sec/__usec on 32-bit since time64), so it sets the event size.
const longSize = 4 << (^uintptr(0) >> 63)

// eventSize is sizeof(struct input_event): timestamp, __u16 type, __u16
// code, __s32 value. 24 bytes on amd64 and arm64.
const eventSize = 2*longSize + 2 + 2 + 4

// appendEvent appends one struct input_event, in the machine's byte order
// like every struct handed to the kernel. The timestamp is left zero:
// the input core stamps injected events itself.
func appendEvent(b []byte, typ, code uint16, value int32) []byte {
	b = append(b, make([]byte, 2*longSize)...)
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, code)
	return binary.NativeEndian.AppendUint32(b, uint32(value))
}

// setupBytes lays out struct uinput_setup for UI_DEV_SETUP: struct input_id
// {bustype, vendor, product, version}, char name[80] NUL-terminated (a
// longer name is cut), __u32 ff_effects_max (0: no rumble).
func setupBytes(name string) []byte {
	b := make([]byte, 0, setupSize)
	for _, v := range [...]uint16{busUSB, vendorMS, productX360, versionX360} {
		b = binary.NativeEndian.AppendUint16(b, v)
	}
	var n [maxNameSize]byte
	copy(n[:maxNameSize-1], name)
	b = append(b, n[:]...)
	return binary.NativeEndian.AppendUint32(b, 0)
}

// absSetupBytes lays out struct uinput_abs_setup for UI_ABS_SETUP: __u16
// code, two bytes of padding (input_absinfo is 4-aligned), then
// input_absinfo {value, minimum, maximum, fuzz, flat, resolution}.
func absSetupBytes(code uint16, min, max, fuzz, flat int32) []byte {
	b := make([]byte, 0, absSetupSize)
	b = binary.NativeEndian.AppendUint16(b, code)
	b = append(b, 0, 0)
	for _, v := range [...]int32{0, min, max, fuzz, flat, 0} {
		b = binary.NativeEndian.AppendUint32(b, uint32(v))
	}
	return b
}

// report is the state of the virtual pad as the kernel sees it: one entry
// per keyTable row and per absTable row.
type report struct {
	keys [len(keyTable)]bool
	abs  [len(absTable)]int32
}

// reportOf converts a page gamepad event into device state. The page already
// uses evdev's conventions for the sticks (y grows downwards, ±32767) and
// the triggers (0..255), so those pass straight through.
func reportOf(ev input.Event) report {
	var r report
	for i, k := range keyTable {
		r.keys[i] = ev.Pressed(k.bit)
	}
	r.abs = [len(absTable)]int32{
		int32(ev.Axes[0]),
		int32(ev.Axes[1]),
		trigger(ev.LT, ev.Pressed(input.PadLT)),
		int32(ev.Axes[2]),
		int32(ev.Axes[3]),
		trigger(ev.RT, ev.Pressed(input.PadRT)),
		hat(ev.Pressed(input.PadLeft), ev.Pressed(input.PadRight)),
		hat(ev.Pressed(input.PadUp), ev.Pressed(input.PadDown)),
	}
	return r
}

// trigger is the analog value of a trigger. Some browsers report a digital
// trigger as pressed with value 0; that is a full pull, not a release.
func trigger(value uint8, pressed bool) int32 {
	if value == 0 && pressed {
		return 255
	}
	return int32(value)
}

// hat folds two opposite d-pad buttons into one hat axis (-1, 0, 1). Both
// held at once cancel, as on a physical d-pad that cannot report both.
func hat(neg, pos bool) int32 {
	switch {
	case neg && !pos:
		return -1
	case pos && !neg:
		return 1
	}
	return 0
}

// appendDiff appends the events that take the device from prev to next,
// keys first, then axes, then one SYN_REPORT so a reader sees the whole
// change as one frame. Nothing is appended when nothing changed: an idle pad
// that keeps repeating its state costs no writes.
func appendDiff(b []byte, prev, next *report) []byte {
	start := len(b)
	for i, k := range keyTable {
		if prev.keys[i] != next.keys[i] {
			v := int32(0)
			if next.keys[i] {
				v = 1
			}
			b = appendEvent(b, evKey, k.code, v)
		}
	}
	for i, a := range absTable {
		if prev.abs[i] != next.abs[i] {
			b = appendEvent(b, evAbs, a.code, next.abs[i])
		}
	}
	if len(b) == start {
		return b
	}
	return appendEvent(b, evSyn, synReport, 0)
}

// writeDiff writes the change from prev to next to w in one write (uinput
// takes any whole number of events per write) and reports whether anything
// was written. buf is scratch space, returned for reuse.
func writeDiff(w io.Writer, buf []byte, prev, next *report) ([]byte, bool, error) {
	buf = appendDiff(buf[:0], prev, next)
	if len(buf) == 0 {
		return buf, false, nil
	}
	_, err := w.Write(buf)
	return buf, true, err
}
