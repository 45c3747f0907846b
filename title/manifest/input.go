package manifest

import (
	"fmt"
	"strings"

	"stratus/input"
)

// maxTouchButtons is what fits along the edge of a phone held sideways
// without covering the picture.
const (
	maxTouchButtons = 8
	maxLabelLen     = 12
)

// padNames are the standard gamepad buttons, indexed by their bit number in
// input.Event.Buttons (input.PadA …).
var padNames = [input.PadButtons]string{
	input.PadA: "A", input.PadB: "B", input.PadX: "X", input.PadY: "Y",
	input.PadLB: "LB", input.PadRB: "RB", input.PadLT: "LT", input.PadRT: "RT",
	input.PadSelect: "Select", input.PadStart: "Start", input.PadLS: "LS", input.PadRS: "RS",
	input.PadUp: "Up", input.PadDown: "Down", input.PadLeft: "Left", input.PadRight: "Right",
	input.PadHome: "Home",
}

// KeyCode returns the virtual-key code for a key name as input.KeyName
// prints it ("Space", "A", "F1"). Deriving the names from input.KeyName keeps
// manifests and event logs speaking the same language.
func KeyCode(name string) (uint16, bool) {
	for code := uint16(1); code < 256; code++ {
		if input.KeyName(code) == name && !strings.HasPrefix(name, "key ") {
			return code, true
		}
	}
	return 0, false
}

// PadButton returns the bit number of a standard gamepad button name.
func PadButton(name string) (int, bool) {
	for i, n := range padNames {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// suggest finds a name that differs only in case, for "did you mean" hints.
func suggest(name string, candidates func(yield func(string) bool)) string {
	for c := range candidates {
		if strings.EqualFold(c, name) {
			return fmt.Sprintf(" (did you mean %q?)", c)
		}
	}
	return ""
}

func keyNames(yield func(string) bool) {
	for code := uint16(1); code < 256; code++ {
		if n := input.KeyName(code); !strings.HasPrefix(n, "key ") && !yield(n) {
			return
		}
	}
}

func padNameSeq(yield func(string) bool) {
	for _, n := range padNames {
		if !yield(n) {
			return
		}
	}
}

func checkInput(p *problems, in Input) {
	t := in.Touch
	if !in.Keyboard && !in.Mouse && !in.Gamepad && (t.Layout == "" || t.Layout == LayoutNone) {
		p.add("input", "no input kind enabled (want at least one of keyboard, mouse, gamepad, touch)")
	}
	switch t.Layout {
	case "", LayoutNone, LayoutPointer:
		// Without on-screen controls a stick or buttons would never show.
		if t.Stick != "" && t.Stick != StickNone {
			p.add("input.touch.stick", fmt.Sprintf("only used with layout %q", LayoutGamepad))
		}
		if len(t.Buttons) > 0 {
			p.add("input.touch.buttons", fmt.Sprintf("only used with layout %q", LayoutGamepad))
		}
		return
	case LayoutGamepad:
	default:
		p.add("input.touch.layout", fmt.Sprintf("unknown layout %q (want gamepad, pointer or none)", t.Layout))
		return
	}
	checkStick(p, in)
	if (t.Stick == "" || t.Stick == StickNone) && len(t.Buttons) == 0 {
		p.add("input.touch", "layout gamepad needs a stick or at least one button")
	}
	if len(t.Buttons) > maxTouchButtons {
		p.add("input.touch.buttons", fmt.Sprintf("%d buttons (at most %d fit on a phone)", len(t.Buttons), maxTouchButtons))
	}
	labels := make(map[string]bool, len(t.Buttons))
	for i, b := range t.Buttons {
		checkButton(p, fmt.Sprintf("input.touch.buttons[%d]", i), b, in, labels)
	}
}

// checkStick also checks that the title takes what the stick sends; a stick
// sending arrow keys to a gamepad-only title would do nothing.
func checkStick(p *problems, in Input) {
	switch in.Touch.Stick {
	case "", StickNone:
	case StickArrows, StickWASD:
		if !in.Keyboard {
			p.add("input.touch.stick", fmt.Sprintf("%q sends keys but input.keyboard is false", in.Touch.Stick))
		}
	case StickGamepad:
		if !in.Gamepad {
			p.add("input.touch.stick", "\"gamepad\" sends the left stick but input.gamepad is false")
		}
	default:
		p.add("input.touch.stick", fmt.Sprintf("unknown stick %q (want arrows, wasd, gamepad or none)", in.Touch.Stick))
	}
}

func checkButton(p *problems, field string, b TouchButton, in Input, labels map[string]bool) {
	switch {
	case strings.TrimSpace(b.Label) == "":
		p.add(field+".label", "required")
	case len([]rune(b.Label)) > maxLabelLen:
		p.add(field+".label", fmt.Sprintf("%q longer than %d characters", b.Label, maxLabelLen))
	case labels[b.Label]:
		p.add(field+".label", fmt.Sprintf("%q used by another button", b.Label))
	}
	labels[b.Label] = true

	switch {
	case b.Key == "" && b.Pad == "":
		p.add(field, "needs key or pad")
	case b.Key != "" && b.Pad != "":
		p.add(field, "has both key and pad (want one)")
	case b.Key != "":
		if _, ok := KeyCode(b.Key); !ok {
			hint := suggest(b.Key, keyNames)
			p.add(field+".key", fmt.Sprintf("unknown key %q%s", b.Key, hint))
		} else if !in.Keyboard {
			p.add(field+".key", "sends a key but input.keyboard is false")
		}
	default:
		if _, ok := PadButton(b.Pad); !ok {
			hint := suggest(b.Pad, padNameSeq)
			p.add(field+".pad", fmt.Sprintf("unknown gamepad button %q%s", b.Pad, hint))
		} else if !in.Gamepad {
			p.add(field+".pad", "sends a gamepad button but input.gamepad is false")
		}
	}
}
