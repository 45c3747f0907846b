package input

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// MaxMessage bounds one data-channel message. The page never needs more than
// a handful of events per message; anything larger is garbage or abuse.
const MaxMessage = 1024

// Decoding errors. Callers count them; a message that fails decodes to nothing.
var (
	ErrEmpty     = errors.New("input: empty message")
	ErrTooLarge  = fmt.Errorf("input: message larger than %d bytes", MaxMessage)
	ErrUnknown   = errors.New("input: unknown event type")
	ErrTruncated = errors.New("input: truncated event")
)

var le = binary.LittleEndian

// Decode parses one data-channel message and appends its events to dst.
// On error it returns dst unchanged: a message is applied whole or not at all.
func Decode(dst []Event, msg []byte) ([]Event, error) {
	if len(msg) == 0 {
		return dst, ErrEmpty
	}
	if len(msg) > MaxMessage {
		return dst, ErrTooLarge
	}
	start := len(dst)
	for off := 0; off < len(msg); {
		k := Kind(msg[off])
		n := k.Size()
		if n == 0 {
			return dst[:start], fmt.Errorf("%w 0x%02x at offset %d", ErrUnknown, msg[off], off)
		}
		if off+n > len(msg) {
			return dst[:start], fmt.Errorf("%w: %s needs %d bytes, %d left", ErrTruncated, k, n, len(msg)-off)
		}
		dst = append(dst, decodeOne(k, msg[off+1:off+n]))
		off += n
	}
	return dst, nil
}

func decodeOne(k Kind, b []byte) Event {
	e := Event{Kind: k}
	switch k {
	case KindKeyDown, KindKeyUp:
		e.Code = le.Uint16(b)
		e.Mods = b[2]
	case KindMouseButton:
		e.Button = b[0]
		e.Down = b[1] != 0
	case KindBeat:
		e.Seq = le.Uint16(b)
	case KindMouseMove:
		e.Seq = le.Uint16(b)
		e.X = le.Uint16(b[2:])
		e.Y = le.Uint16(b[4:])
		e.AccX = int32(le.Uint32(b[6:]))
		e.AccY = int32(le.Uint32(b[10:]))
	case KindWheel:
		e.DX = int16(le.Uint16(b))
		e.DY = int16(le.Uint16(b[2:]))
	case KindGamepad:
		e.Seq = le.Uint16(b)
		e.Pad = b[2]
		e.Buttons = le.Uint32(b[3:])
		for i := range e.Axes {
			e.Axes[i] = int16(le.Uint16(b[7+2*i:]))
		}
		e.LT = b[15]
		e.RT = b[16]
	case KindTouch:
		e.TouchID = b[0]
		e.Phase = b[1]
		e.X = le.Uint16(b[2:])
		e.Y = le.Uint16(b[4:])
	case KindPing, KindClock:
		e.PingID = le.Uint32(b)
		e.ClientMs = math.Float64frombits(le.Uint64(b[4:]))
	case KindPresent:
		e.Refresh = time.Duration(le.Uint16(b)) * time.Microsecond
		e.WaitP10 = time.Duration(le.Uint16(b[2:])) * presentUnit
		e.WaitP50 = time.Duration(le.Uint16(b[4:])) * presentUnit
		e.Frames = le.Uint16(b[6:])
		e.Missed = le.Uint16(b[8:])
	case KindReceive:
		e.Freezes = le.Uint16(b)
		e.FreezeTime = time.Duration(le.Uint32(b[2:])) * time.Millisecond
		e.LongestFreeze = time.Duration(le.Uint32(b[6:])) * time.Millisecond
		e.FECUsed = le.Uint32(b[10:])
	}
	return e
}

// presentUnit is the resolution of presentation waits on the wire.
const presentUnit = 10 * time.Microsecond

func presentWire(d time.Duration, unit time.Duration) uint16 {
	return uint16(min(max(d/unit, 0), 65535))
}

// Append encodes e and appends it to dst. It is what the page does in
// JavaScript; Go uses it in tests, tools and benchmarks.
func Append(dst []byte, e Event) []byte {
	n := e.Kind.Size()
	if n == 0 {
		return dst
	}
	off := len(dst)
	dst = append(dst, make([]byte, n)...)
	b := dst[off:]
	b[0] = byte(e.Kind)
	b = b[1:]
	switch e.Kind {
	case KindKeyDown, KindKeyUp:
		le.PutUint16(b, e.Code)
		b[2] = e.Mods
	case KindMouseButton:
		b[0] = e.Button
		if e.Down {
			b[1] = 1
		}
	case KindBeat:
		le.PutUint16(b, e.Seq)
	case KindMouseMove:
		le.PutUint16(b, e.Seq)
		le.PutUint16(b[2:], e.X)
		le.PutUint16(b[4:], e.Y)
		le.PutUint32(b[6:], uint32(e.AccX))
		le.PutUint32(b[10:], uint32(e.AccY))
	case KindWheel:
		le.PutUint16(b, uint16(e.DX))
		le.PutUint16(b[2:], uint16(e.DY))
	case KindGamepad:
		le.PutUint16(b, e.Seq)
		b[2] = e.Pad
		le.PutUint32(b[3:], e.Buttons)
		for i, a := range e.Axes {
			le.PutUint16(b[7+2*i:], uint16(a))
		}
		b[15] = e.LT
		b[16] = e.RT
	case KindTouch:
		b[0] = e.TouchID
		b[1] = e.Phase
		le.PutUint16(b[2:], e.X)
		le.PutUint16(b[4:], e.Y)
	case KindPing, KindClock:
		le.PutUint32(b, e.PingID)
		le.PutUint64(b[4:], math.Float64bits(e.ClientMs))
	case KindPresent:
		le.PutUint16(b, presentWire(e.Refresh, time.Microsecond))
		le.PutUint16(b[2:], presentWire(e.WaitP10, presentUnit))
		le.PutUint16(b[4:], presentWire(e.WaitP50, presentUnit))
		le.PutUint16(b[6:], e.Frames)
		le.PutUint16(b[8:], e.Missed)
	case KindReceive:
		le.PutUint16(b, e.Freezes)
		le.PutUint32(b[2:], uint32(min(max(e.FreezeTime/time.Millisecond, 0), math.MaxUint32)))
		le.PutUint32(b[6:], uint32(min(max(e.LongestFreeze/time.Millisecond, 0), math.MaxUint32)))
		le.PutUint32(b[10:], e.FECUsed)
	}
	return dst
}

// Newer reports whether sequence number a is newer than b, with 16-bit
// wrap-around (RFC 1982 serial-number arithmetic).
func Newer(a, b uint16) bool {
	return a != b && int16(a-b) > 0
}
