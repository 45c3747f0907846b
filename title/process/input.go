package process

import (
	"stratus/input"
	"stratus/title/process/x11"
)

// inputState is what Input remembers between events.
type inputState struct {
	wheelX, wheelY int // CSS pixels not yet turned into wheel clicks
	touchID        uint8
	touching       bool // a touch drives the pointer; others are ignored
}

// wheelStep is the scroll distance of one wheel click in CSS pixels: what
// browsers report for one notch (Chrome 100, Firefox 3 lines of 40).
// Smaller deltas (touchpads) add up until they make a click.
const wheelStep = 100

// maxClicks bounds the clicks one wheel event makes, so a flood of huge
// deltas cannot keep Input busy.
const maxClicks = 20

// Input applies one player event to the display. Events the display cannot
// express are counted (InputStats) and dropped; nothing here panics on
// what a player sends.
func (i *Instance) Input(ev input.Event) {
	var err error
	switch ev.Kind {
	case input.KindKeyDown, input.KindKeyUp:
		sym, ok := x11.Keysym(ev.Code)
		if !ok {
			i.unmapped.Add(1)
			return
		}
		err = i.disp.Key(sym, ev.Kind == input.KindKeyDown)
	case input.KindMouseMove:
		err = i.moveTo(ev.X, ev.Y)
	case input.KindMouseButton:
		b, ok := xButton(ev.Button)
		if !ok {
			i.unmapped.Add(1)
			return
		}
		err = i.disp.Button(b, ev.Down)
	case input.KindWheel:
		err = i.wheel(ev.DX, ev.DY)
	case input.KindTouch:
		err = i.touch(ev)
	case input.KindGamepad:
		if i.spec.Gamepad == nil {
			i.unmapped.Add(1)
		} else {
			i.spec.Gamepad(ev)
		}
		return
	default: // ping, present: not for the game
		return
	}
	if err == nil {
		err = i.disp.Flush() // the game sees the event now, not with the next capture
	}
	if err != nil {
		i.failed.Add(1)
	}
}

// InputStats counts events that Input dropped: unmapped (no X equivalent,
// or no gamepad hook) and failed (the display refused them, or is gone).
func (i *Instance) InputStats() (unmapped, failed uint64) {
	return i.unmapped.Load(), i.failed.Load()
}

// xButton maps MouseEvent.button (0 left, 1 middle, 2 right, 3 back,
// 4 forward) to X's numbering.
func xButton(b uint8) (int, bool) {
	switch b {
	case 0:
		return x11.ButtonLeft, true
	case 1:
		return x11.ButtonMiddle, true
	case 2:
		return x11.ButtonRight, true
	case 3:
		return x11.ButtonBack, true
	case 4:
		return x11.ButtonForward, true
	}
	return 0, false
}

// moveTo places the pointer at a position over the picture given in
// 0..65535, rounded to the nearest display pixel.
func (i *Instance) moveTo(x, y uint16) error {
	w, h := i.info.Width, i.info.Height
	px := (int(x)*(w-1) + 32767) / 65535
	py := (int(y)*(h-1) + 32767) / 65535
	return i.disp.MoveTo(px, py)
}

// wheel turns scroll deltas (CSS pixels, positive = down or right) into
// clicks of X buttons 4/5 (up/down) and 6/7 (left/right).
func (i *Instance) wheel(dx, dy int16) error {
	i.in.wheelX += int(dx)
	i.in.wheelY += int(dy)
	if err := i.clicks(&i.in.wheelY, x11.ButtonWheelUp, x11.ButtonWheelDown); err != nil {
		return err
	}
	return i.clicks(&i.in.wheelX, x11.ButtonWheelLeft, x11.ButtonWheelRight)
}

func (i *Instance) clicks(acc *int, neg, pos int) error {
	n := *acc / wheelStep
	*acc -= n * wheelStep
	b := pos
	if n < 0 {
		b, n = neg, -n
	}
	for range min(n, maxClicks) {
		if err := i.disp.Button(b, true); err != nil {
			return err
		}
		if err := i.disp.Button(b, false); err != nil {
			return err
		}
	}
	return nil
}

// touch drives the pointer with the first finger down: start moves and
// presses the left button, move moves, end releases. Further fingers are
// ignored, for X has one pointer.
func (i *Instance) touch(ev input.Event) error {
	switch ev.Phase {
	case input.TouchStart:
		if i.in.touching {
			i.unmapped.Add(1)
			return nil
		}
		i.in.touching, i.in.touchID = true, ev.TouchID
		if err := i.moveTo(ev.X, ev.Y); err != nil {
			return err
		}
		return i.disp.Button(x11.ButtonLeft, true)
	case input.TouchMove:
		if !i.in.touching || ev.TouchID != i.in.touchID {
			return nil
		}
		return i.moveTo(ev.X, ev.Y)
	case input.TouchEnd, input.TouchCancel:
		if !i.in.touching || ev.TouchID != i.in.touchID {
			return nil
		}
		i.in.touching = false
		if ev.Phase == input.TouchEnd {
			if err := i.moveTo(ev.X, ev.Y); err != nil {
				return err
			}
		}
		return i.disp.Button(x11.ButtonLeft, false)
	}
	i.unmapped.Add(1)
	return nil
}
