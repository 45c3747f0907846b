package input

import (
	"fmt"
	"time"
)

// Kind is the type byte of an event on the wire.
type Kind uint8

const (
	KindKeyDown     Kind = 0x01
	KindKeyUp       Kind = 0x02
	KindMouseButton Kind = 0x03
	KindMouseMove   Kind = 0x04
	KindWheel       Kind = 0x05
	KindGamepad     Kind = 0x06
	KindTouch       Kind = 0x07
	KindPing        Kind = 0x08
	KindPresent     Kind = 0x09
	KindClock       Kind = 0x0A
	KindReceive     Kind = 0x0B
	KindBeat        Kind = 0x0C
)

// sizes holds the fixed encoded length of each kind, type byte included.
var sizes = [...]int{
	KindKeyDown:     4,
	KindKeyUp:       4,
	KindMouseButton: 3,
	KindMouseMove:   15,
	KindWheel:       5,
	KindGamepad:     18,
	KindTouch:       7,
	KindPing:        13,
	KindPresent:     11,
	KindClock:       13,
	KindReceive:     15,
	KindBeat:        3,
}

// Size is the encoded length of an event of kind k, or 0 for an unknown kind.
func (k Kind) Size() int {
	if int(k) >= len(sizes) {
		return 0
	}
	return sizes[k]
}

func (k Kind) String() string {
	switch k {
	case KindKeyDown:
		return "key-down"
	case KindKeyUp:
		return "key-up"
	case KindMouseButton:
		return "mouse-button"
	case KindMouseMove:
		return "mouse-move"
	case KindWheel:
		return "wheel"
	case KindGamepad:
		return "gamepad"
	case KindTouch:
		return "touch"
	case KindPing:
		return "ping"
	case KindClock:
		return "clock"
	case KindPresent:
		return "present"
	case KindReceive:
		return "receive"
	case KindBeat:
		return "beat"
	}
	return fmt.Sprintf("kind(0x%02x)", uint8(k))
}

// Modifier bits of a key event.
const (
	ModShift uint8 = 1 << iota
	ModCtrl
	ModAlt
	ModMeta
)

// Touch phases.
const (
	TouchStart  uint8 = 0
	TouchMove   uint8 = 1
	TouchEnd    uint8 = 2
	TouchCancel uint8 = 3
)

// Standard-mapping gamepad buttons (bit numbers in Gamepad.Buttons).
const (
	PadA = iota
	PadB
	PadX
	PadY
	PadLB
	PadRB
	PadLT
	PadRT
	PadSelect
	PadStart
	PadLS
	PadRS
	PadUp
	PadDown
	PadLeft
	PadRight
	PadHome
	PadButtons // number of standard buttons
)

// Common virtual-key codes, as browsers report them in KeyboardEvent.keyCode.
const (
	KeyBackspace = 8
	KeyTab       = 9
	KeyEnter     = 13
	KeyShift     = 16
	KeyCtrl      = 17
	KeyAlt       = 18
	KeyEscape    = 27
	KeySpace     = 32
	KeyLeft      = 37
	KeyUp        = 38
	KeyRight     = 39
	KeyDown      = 40
)

// Event is one decoded input event. Only the fields of its Kind are set.
type Event struct {
	Kind Kind

	// KeyDown, KeyUp.
	Code uint16
	Mods uint8

	// MouseButton.
	Button uint8
	Down   bool

	// MouseMove and Touch: absolute position over the video, 0..65535.
	X, Y uint16
	// MouseMove: running sums of relative motion in CSS pixels.
	AccX, AccY int32
	// MouseMove: relative motion since the previous applied MouseMove, filled
	// in by Receiver from the running sums.
	RelX, RelY int32
	// MouseMove and Gamepad: sequence number on the unreliable channel.
	Seq uint16

	// Wheel.
	DX, DY int16

	// Gamepad.
	Pad     uint8
	Buttons uint32
	Axes    [4]int16
	LT, RT  uint8

	// Touch.
	TouchID uint8
	Phase   uint8

	// Ping.
	PingID   uint32
	ClientMs float64

	// Present: how the page's display met the last second of frames.
	// Refresh is the display's refresh interval; WaitP10 and WaitP50 are
	// percentiles of how long a decoded frame waited for its refresh;
	// Frames were presented and Missed never shown.
	Refresh, WaitP10, WaitP50 time.Duration
	Frames, Missed            uint16

	// Receive: the page's running counts since its session's stream
	// began. Freezes are gaps of over FreezeGap between presented frames,
	// FreezeTime their sum and LongestFreeze the longest; FECUsed counts
	// the FlexFEC packets the browser kept to repair a loss (received
	// less discarded).
	Freezes                   uint16
	FreezeTime, LongestFreeze time.Duration
	FECUsed                   uint32
}

// FreezeGap is how long without a new frame the page counts as a freeze:
// six frames at 60 fps, which a player sees as a hitch.
const FreezeGap = 100 * time.Millisecond

// Pressed reports whether standard gamepad button b is held.
func (e Event) Pressed(b int) bool { return e.Buttons&(1<<uint(b)) != 0 }

// Counts reports whether the event is one that a title counts as player
// input: everything except pings and presentation reports.
func (e Event) Counts() bool {
	switch e.Kind {
	case KindPing, KindClock, KindPresent, KindReceive, KindBeat:
		return false
	}
	return true
}

func (e Event) String() string {
	switch e.Kind {
	case KindKeyDown, KindKeyUp:
		return fmt.Sprintf("%s %s", e.Kind, KeyName(e.Code))
	case KindMouseButton:
		state := "up"
		if e.Down {
			state = "down"
		}
		return fmt.Sprintf("mouse button %d %s", e.Button, state)
	case KindMouseMove:
		return fmt.Sprintf("mouse at %d,%d (rel %d,%d)", e.X, e.Y, e.AccX, e.AccY)
	case KindWheel:
		return fmt.Sprintf("wheel %d,%d", e.DX, e.DY)
	case KindGamepad:
		return fmt.Sprintf("gamepad %d buttons %017b axes %v", e.Pad, e.Buttons, e.Axes)
	case KindTouch:
		return fmt.Sprintf("touch %d phase %d at %d,%d", e.TouchID, e.Phase, e.X, e.Y)
	case KindPing:
		return fmt.Sprintf("ping %d", e.PingID)
	case KindClock:
		return fmt.Sprintf("clock %d", e.PingID)
	case KindPresent:
		return fmt.Sprintf("present %d frames, %d missed, wait p10 %v", e.Frames, e.Missed, e.WaitP10)
	case KindReceive:
		return fmt.Sprintf("receive %d freezes (%v, longest %v), %d FEC used", e.Freezes, e.FreezeTime, e.LongestFreeze, e.FECUsed)
	}
	return e.Kind.String()
}

// KeyName names a virtual-key code for display.
func KeyName(code uint16) string {
	switch {
	case code >= 'A' && code <= 'Z', code >= '0' && code <= '9':
		return string(rune(code))
	case code >= 112 && code <= 123:
		return fmt.Sprintf("F%d", code-111)
	}
	switch code {
	case KeyBackspace:
		return "Backspace"
	case KeyTab:
		return "Tab"
	case KeyEnter:
		return "Enter"
	case KeyShift:
		return "Shift"
	case KeyCtrl:
		return "Ctrl"
	case KeyAlt:
		return "Alt"
	case KeyEscape:
		return "Escape"
	case KeySpace:
		return "Space"
	case KeyLeft:
		return "Left"
	case KeyUp:
		return "Up"
	case KeyRight:
		return "Right"
	case KeyDown:
		return "Down"
	}
	return fmt.Sprintf("key %d", code)
}
