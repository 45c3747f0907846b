//go:build cgo

package x11

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// maxCursor bounds the cursor image we keep (pixels a side). X allows
// larger ones; no theme draws them, and a bound keeps a hostile game from
// making every change of cursor copy megabytes.
const maxCursor = 512

// cursor is the pointer's image as the server last reported it, kept in Go
// memory so that drawing it costs no request while it does not change.
type cursor struct {
	w, h       int      // 0: nothing to draw (no image yet, or it failed)
	xhot, yhot int      // the pixel of the image that sits at the pointer
	serial     uint64   // the server's cursor serial, to skip same-image copies
	pix        []uint32 // premultiplied ARGB, w*h, row by row
}

// SetCursor turns drawing the pointer into captured frames on or off (off
// after Open). X servers keep the cursor out of the framebuffer, so without
// this a player of a mouse-driven game cannot see where the pointer is.
//
// Turning it on needs the XFIXES extension, version 2 (for the cursor's
// image and word when it changes); a server without it gets an error
// wrapping ErrNoCursor, and Capture goes on without the pointer.
//
// While on, each Capture also asks the server where the pointer is (its
// position, which the game may have warped, not the last one injected), in
// the same round trip as the image, and blends the cursor's few hundred
// pixels there (under a microsecond). The cursor's image is fetched only
// when the server reports that it changed.
func (d *Display) SetCursor(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.usable(); err != nil {
		return err
	}
	if on && d.c.fixes_event < 0 {
		return fmt.Errorf("%w: display %s has no XFIXES extension (version 2 or later)", ErrNoCursor, d.name)
	}
	d.c.pointer = cbool(on)
	if on {
		// CursorNotify kept coming while off, but a fetch may have failed.
		d.c.cursor_changed = 1
	}
	return nil
}

// drawCursor blends the cursor into the frame at the pointer, after a
// capture that asked where the pointer is.
func (d *Display) drawCursor() {
	if d.c.cursor_changed != 0 {
		d.c.cursor_changed = 0
		d.fetchCursor()
	}
	if d.c.pointer_in == 0 || d.cur.w == 0 {
		return
	}
	blend(&d.frame, d.cur.pix, d.cur.w, d.cur.h, int(d.c.pointer_x)-d.cur.xhot, int(d.c.pointer_y)-d.cur.yhot)
}

// fetchCursor copies the server's current cursor image. On failure nothing
// is drawn until the next change: retrying each frame would add a round
// trip to every one. A lost connection shows in the next Capture.
func (d *Display) fetchCursor() {
	img := C.stratus_cursor_image(d.c)
	if img == nil {
		d.cur.w = 0
		return
	}
	defer C.XFree(unsafe.Pointer(img))
	w, h := int(img.width), int(img.height)
	if w <= 0 || h <= 0 || w > maxCursor || h > maxCursor || img.pixels == nil {
		d.cur.w = 0
		return
	}
	serial := uint64(img.cursor_serial)
	if d.cur.w != 0 && serial == d.cur.serial {
		return // back to the image we hold (a window with the same cursor)
	}
	src := unsafe.Slice(img.pixels, w*h)
	if cap(d.cur.pix) < w*h {
		d.cur.pix = make([]uint32, w*h)
	}
	d.cur.pix = d.cur.pix[:w*h]
	for n, p := range src {
		d.cur.pix[n] = uint32(p) // unsigned long: 32-bit ARGB in the low half
	}
	d.cur.w, d.cur.h = w, h
	d.cur.xhot, d.cur.yhot = int(img.xhot), int(img.yhot)
	d.cur.serial = serial
}
