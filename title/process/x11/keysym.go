package x11

// Keysym maps a virtual-key code as the page sends it (the browser's
// KeyboardEvent.keyCode, see input.KeyName) to the X keysym that XTEST
// presses. Letters map to the lowercase keysym: X looks up the keycode that
// carries the keysym, and the player's Shift travels as its own key event, so
// the game sees the same Shift+a that a real keyboard produces.
//
// Codes with no unambiguous X counterpart report ok = false.
func Keysym(code uint16) (keysym uint32, ok bool) {
	switch {
	case code >= 'A' && code <= 'Z':
		return uint32(code-'A') + 0x61, true // XK_a..XK_z
	case code >= '0' && code <= '9':
		return uint32(code), true // XK_0..XK_9 equal ASCII
	case code >= 112 && code <= 123:
		return uint32(code-112) + 0xffbe, true // XK_F1..XK_F12
	case code >= 96 && code <= 105:
		return uint32(code-96) + 0xffb0, true // XK_KP_0..XK_KP_9
	}
	sym, ok := keysyms[code]
	return sym, ok
}

// keysyms holds the codes outside the ranges above. Left and right
// modifiers share one browser code, so the left X key stands for both.
var keysyms = map[uint16]uint32{
	8:   0xff08, // Backspace → XK_BackSpace
	9:   0xff09, // Tab → XK_Tab
	13:  0xff0d, // Enter → XK_Return
	16:  0xffe1, // Shift → XK_Shift_L
	17:  0xffe3, // Ctrl → XK_Control_L
	18:  0xffe9, // Alt → XK_Alt_L
	19:  0xff13, // Pause → XK_Pause
	20:  0xffe5, // CapsLock → XK_Caps_Lock
	27:  0xff1b, // Escape → XK_Escape
	32:  0x0020, // Space → XK_space
	33:  0xff55, // PageUp → XK_Prior
	34:  0xff56, // PageDown → XK_Next
	35:  0xff57, // End → XK_End
	36:  0xff50, // Home → XK_Home
	37:  0xff51, // Left → XK_Left
	38:  0xff52, // Up → XK_Up
	39:  0xff53, // Right → XK_Right
	40:  0xff54, // Down → XK_Down
	45:  0xff63, // Insert → XK_Insert
	46:  0xffff, // Delete → XK_Delete
	91:  0xffeb, // Meta (left) → XK_Super_L
	106: 0xffaa, // numpad * → XK_KP_Multiply
	107: 0xffab, // numpad + → XK_KP_Add
	109: 0xffad, // numpad - → XK_KP_Subtract
	110: 0xffae, // numpad . → XK_KP_Decimal
	111: 0xffaf, // numpad / → XK_KP_Divide
	186: 0x003b, // ; → XK_semicolon
	187: 0x003d, // = → XK_equal
	188: 0x002c, // , → XK_comma
	189: 0x002d, // - → XK_minus
	190: 0x002e, // . → XK_period
	191: 0x002f, // / → XK_slash
	192: 0x0060, // ` → XK_grave
	219: 0x005b, // [ → XK_bracketleft
	220: 0x005c, // \ → XK_backslash
	221: 0x005d, // ] → XK_bracketright
	222: 0x0027, // ' → XK_apostrophe
}
