//go:build cgo

package x11

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
)

// rootCursor sets the root window's cursor to glyph of the X cursor font
// (cursorfont.h: 0 is the X, 34 the crosshair), drawn in fg over a bg
// outline, the way any client would (XCreateGlyphCursor, XDefineCursor).
// It speaks the protocol itself, since test files cannot use cgo. The
// connection stays open until the test ends, and so does the cursor.
func rootCursor(t *testing.T, display string, glyph uint16, fg, bg [3]uint16) {
	t.Helper()
	c, err := net.Dial("unix", "/tmp/.X11-unix/X"+strings.TrimPrefix(display, ":"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	le := binary.LittleEndian
	// Setup: little-endian, protocol 11.0, no authorization (Xvfb without
	// -auth lets local clients in).
	if _, err := c.Write([]byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(c, head); err != nil {
		t.Fatal(err)
	}
	setup := make([]byte, 4*int(le.Uint16(head[6:])))
	if _, err := io.ReadFull(c, setup); err != nil {
		t.Fatal(err)
	}
	if head[0] != 1 {
		t.Fatalf("X setup refused: %q", setup)
	}
	idBase := le.Uint32(setup[4:])
	vendor := (int(le.Uint16(setup[16:])) + 3) &^ 3
	formats := int(setup[21])
	root := le.Uint32(setup[32+vendor+8*formats:])
	font, cur := idBase|1, idBase|2

	var req []byte
	put16 := func(v ...uint16) {
		for _, x := range v {
			req = le.AppendUint16(req, x)
		}
	}
	put32 := func(v ...uint32) {
		for _, x := range v {
			req = le.AppendUint32(req, x)
		}
	}
	req = append(req, 45, 0) // OpenFont
	put16(5)
	put32(font)
	put16(6, 0)
	req = append(req, "cursor\x00\x00"...)
	req = append(req, 94, 0) // CreateGlyphCursor
	put16(8)
	put32(cur, font, font)
	put16(glyph, glyph+1) // each glyph's mask is the next one
	put16(fg[:]...)
	put16(bg[:]...)
	req = append(req, 2, 0) // ChangeWindowAttributes
	put16(4)
	put32(root, 0x4000, cur) // CWCursor
	req = append(req, 43, 0) // GetInputFocus: its reply says all went through
	put16(1)
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 32)
	if _, err := io.ReadFull(c, reply); err != nil {
		t.Fatal(err)
	}
	if reply[0] != 1 {
		t.Fatalf("setting the root cursor: X error %d (request %d)", reply[1], reply[10])
	}
}
