package x11

import (
	"testing"

	"stratus/input"
)

func TestKeysym(t *testing.T) {
	tests := []struct {
		code uint16
		want uint32
	}{
		{'A', 0x61}, {'Z', 0x7a}, {'W', 0x77},
		{'0', 0x30}, {'9', 0x39},
		{112, 0xffbe}, {123, 0xffc9}, // F1, F12
		{input.KeyBackspace, 0xff08},
		{input.KeyTab, 0xff09},
		{input.KeyEnter, 0xff0d},
		{input.KeyShift, 0xffe1},
		{input.KeyCtrl, 0xffe3},
		{input.KeyAlt, 0xffe9},
		{input.KeyEscape, 0xff1b},
		{input.KeySpace, 0x20},
		{input.KeyLeft, 0xff51},
		{input.KeyUp, 0xff52},
		{input.KeyRight, 0xff53},
		{input.KeyDown, 0xff54},
		{96, 0xffb0}, {105, 0xffb9}, // numpad 0, 9
		{46, 0xffff}, // Delete
		{189, 0x2d},  // -
	}
	for _, tt := range tests {
		got, ok := Keysym(tt.code)
		if !ok || got != tt.want {
			t.Errorf("Keysym(%d %s) = %#x, %v; want %#x", tt.code, input.KeyName(tt.code), got, ok, tt.want)
		}
	}
}

// Every key that input.KeyName names by name (the keys the page and the
// manifest's touch buttons speak of) must reach the game.
func TestKeysymCoversKeyNames(t *testing.T) {
	for code := 0; code < 256; code++ {
		name := input.KeyName(uint16(code))
		if len(name) > 4 && name[:4] == "key " {
			continue // KeyName has no name for it either
		}
		if _, ok := Keysym(uint16(code)); !ok {
			t.Errorf("code %d (%s) has no keysym", code, name)
		}
	}
}

func TestKeysymUnmapped(t *testing.T) {
	for _, code := range []uint16{0, 1, 7, 229, 255, 1000, 65535} {
		if sym, ok := Keysym(code); ok {
			t.Errorf("Keysym(%d) = %#x, want unmapped", code, sym)
		}
	}
}
