package rocks

import (
	"math"

	"stratus/input"
)

// Control tuning.
const (
	// mouseTurn is radians per CSS pixel of pointer-lock motion: a 600 px
	// sweep is about one full turn.
	mouseTurn = 2 * math.Pi / 600
	// aimRate turns the ship toward a pointer or finger fast enough to feel
	// immediate while still being drawn as a turn.
	aimRate = 25.0
	// stickRate is slower, since a stick is steered continuously.
	stickRate = turnSpeed * 1.6
	// A stick inside deadZone is at rest; past thrustFrom the ship also
	// thrusts, so a partly pushed stick aims without moving.
	deadZone   = 0.25
	thrustFrom = 0.7
	// Analog triggers count as pressed past this much travel.
	triggerOn = 64
	// Pads and fingers tracked at once; pad indices wrap into the table.
	maxPads    = 8
	maxTouches = 10
	// Taps queued between two steps; more are mashing and are dropped.
	maxTaps = 3
)

// Virtual-key codes the game reads besides input's named ones.
const (
	keyA = 'A'
	keyD = 'D'
	keyS = 'S'
	keyW = 'W'
)

type padState struct {
	buttons uint32
	axes    [4]int16
	lt, rt  uint8
}

func (p *padState) pressed(b int) bool { return p.buttons&(1<<uint(b)) != 0 }

type finger struct {
	held bool
	id   uint8
	x, y uint16
}

// controls is what the player is holding right now, built from events.
// It is not part of a snapshot: after a move to another edge the player's
// hands start again from nothing, which is safer than a key stuck down.
type controls struct {
	keys [256]bool

	mouseLeft, mouseRight bool
	mouseSeen             bool
	mouseX, mouseY        uint16
	// pointerAim: the unlocked pointer steers the ship, until another
	// control turns it.
	pointerAim bool
	turn       float64 // pointer-lock rotation not yet applied, radians

	pads       [maxPads]padState
	fingers    [maxTouches]finger
	lastFinger int // index of the finger that moved last

	taps       int
	tapX, tapY uint16
	restart    bool
}

// intent is what the controls ask of one simulation step, in world terms.
type intent struct {
	rotate float64 // -1 (anticlockwise on screen) .. 1
	turn   float64 // radians to add at once

	face      bool // turn toward faceAngle …
	faceAngle float64
	faceRate  float64
	aim       bool // … or toward the point aimX, aimY
	aimX      float64
	aimY      float64
	aimRate   float64

	thrust  float64 // 0..1
	brake   bool
	fire    bool
	taps    int // shots toward tapX, tapY
	tapX    float64
	tapY    float64
	restart bool
}

func (c *controls) apply(ev input.Event) {
	switch ev.Kind {
	case input.KindKeyDown:
		if ev.Code < uint16(len(c.keys)) {
			c.keys[ev.Code] = true
		}
		switch ev.Code {
		case input.KeyEnter:
			c.restart = true
		case input.KeyLeft, input.KeyRight, keyA, keyD:
			c.pointerAim = false
		}
	case input.KindKeyUp:
		if ev.Code < uint16(len(c.keys)) {
			c.keys[ev.Code] = false
		}
	case input.KindMouseButton:
		switch ev.Button {
		case 0:
			c.mouseLeft = ev.Down
		case 2:
			c.mouseRight = ev.Down
		}
	case input.KindMouseMove:
		// Under pointer lock the page's absolute position stands still
		// while relative motion accumulates; that is how the two modes
		// are told apart.
		if c.mouseSeen && ev.X == c.mouseX && ev.Y == c.mouseY {
			if ev.RelX != 0 {
				c.turn += float64(ev.RelX) * mouseTurn
				c.pointerAim = false
			}
			return
		}
		c.mouseSeen, c.mouseX, c.mouseY, c.pointerAim = true, ev.X, ev.Y, true
	case input.KindGamepad:
		p := &c.pads[int(ev.Pad)%maxPads]
		if ev.Pressed(input.PadStart) && !p.pressed(input.PadStart) {
			c.restart = true
		}
		p.buttons, p.axes, p.lt, p.rt = ev.Buttons, ev.Axes, ev.LT, ev.RT
	case input.KindTouch:
		c.touch(ev)
	}
}

func (c *controls) touch(ev input.Event) {
	slot, free := -1, -1
	for i, f := range c.fingers {
		switch {
		case f.held && f.id == ev.TouchID:
			slot = i
		case !f.held && free < 0:
			free = i
		}
	}
	switch ev.Phase {
	case input.TouchStart:
		if slot < 0 {
			slot = free
		}
		if c.taps < maxTaps {
			c.taps++
		}
		c.tapX, c.tapY = ev.X, ev.Y
		fallthrough
	case input.TouchMove:
		if slot >= 0 {
			c.fingers[slot] = finger{held: true, id: ev.TouchID, x: ev.X, y: ev.Y}
			c.lastFinger = slot
		}
	case input.TouchEnd, input.TouchCancel:
		if slot >= 0 {
			c.fingers[slot].held = false
		}
	}
}

// stick returns the deflection (-1..1 each way) of the pad stick at axes
// i, i+1 that is pushed furthest, or ok false if all are at rest.
func (c *controls) stick(i int) (x, y, mag float64, ok bool) {
	for _, p := range c.pads {
		px, py := float64(p.axes[i])/32767, float64(p.axes[i+1])/32767
		if m := math.Hypot(px, py); m > deadZone && m > mag {
			x, y, mag, ok = px, py, min(m, 1), true
		}
	}
	return x, y, mag, ok
}

// intent reads the controls for one step over a w×h field, and consumes
// the one-shot ones (taps, restart, pointer-lock turning).
func (c *controls) intent(w, h float64) intent {
	var in intent
	var pad padState // every pad's buttons together: all pads play alike
	for _, p := range c.pads {
		pad.buttons |= p.buttons
		pad.lt, pad.rt = max(pad.lt, p.lt), max(pad.rt, p.rt)
	}
	left := c.keys[input.KeyLeft] || c.keys[keyA] || pad.pressed(input.PadLeft)
	right := c.keys[input.KeyRight] || c.keys[keyD] || pad.pressed(input.PadRight)
	if left {
		in.rotate--
	}
	if right {
		in.rotate++
	}
	if c.keys[input.KeyUp] || c.keys[keyW] || pad.pressed(input.PadUp) ||
		pad.pressed(input.PadB) || pad.pressed(input.PadLT) || pad.lt >= triggerOn || c.mouseRight {
		in.thrust = 1
	}
	in.brake = c.keys[input.KeyDown] || c.keys[keyS] || pad.pressed(input.PadDown)
	in.fire = c.keys[input.KeySpace] || c.mouseLeft ||
		pad.pressed(input.PadA) || pad.pressed(input.PadX) || pad.pressed(input.PadRB) ||
		pad.pressed(input.PadRT) || pad.rt >= triggerOn

	in.turn, c.turn = c.turn, 0
	if x, y, _, ok := c.stick(2); ok { // right stick: aim only
		in.face, in.faceAngle, in.faceRate = true, math.Atan2(y, x), stickRate
	}
	if x, y, m, ok := c.stick(0); ok { // left stick: steer, and fly when pushed far
		in.face, in.faceAngle, in.faceRate = true, math.Atan2(y, x), stickRate
		if m >= thrustFrom {
			in.thrust = max(in.thrust, (m-thrustFrom)/(1-thrustFrom)*0.6+0.4)
		}
	}
	if in.face || left || right {
		c.pointerAim = false
	}

	scale := func(x, y uint16) (float64, float64) { return float64(x) / 65535 * w, float64(y) / 65535 * h }
	if f, ok := c.finger(); ok {
		// A held finger keeps aiming and firing where it is.
		in.aim, in.aimRate, in.fire = true, aimRate, true
		in.aimX, in.aimY = scale(f.x, f.y)
	} else if c.pointerAim && !in.face {
		in.aim, in.aimRate = true, aimRate
		in.aimX, in.aimY = scale(c.mouseX, c.mouseY)
	}
	if c.taps > 0 {
		in.taps = c.taps
		in.tapX, in.tapY = scale(c.tapX, c.tapY)
		c.taps = 0
	}
	in.restart, c.restart = c.restart, false
	return in
}

// finger returns the held finger that moved last, or failing that any
// held finger.
func (c *controls) finger() (finger, bool) {
	if f := c.fingers[c.lastFinger]; f.held {
		return f, true
	}
	for _, f := range c.fingers {
		if f.held {
			return f, true
		}
	}
	return finger{}, false
}
