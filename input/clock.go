package input

import (
	"encoding/binary"
	"math"
	"time"
)

// ClockReplySize is the length of the edge's answer to a Clock event.
const ClockReplySize = 21

// AppendClockReply appends the answer to the Clock event e: its id and
// client time, and the edge's time now.
func AppendClockReply(b []byte, e Event, now time.Time) []byte {
	b = append(b, byte(KindClock))
	b = binary.LittleEndian.AppendUint32(b, e.PingID)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.ClientMs))
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(now.UnixNano())/1e6))
}

// ParseClockReply reads an answer written by AppendClockReply; ok is false
// for anything else.
func ParseClockReply(b []byte) (id uint32, clientMs, edgeMs float64, ok bool) {
	if len(b) != ClockReplySize || Kind(b[0]) != KindClock {
		return 0, 0, 0, false
	}
	le := binary.LittleEndian
	return le.Uint32(b[1:]), math.Float64frombits(le.Uint64(b[5:])), math.Float64frombits(le.Uint64(b[13:])), true
}
