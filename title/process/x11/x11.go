//go:build cgo

package x11

/*
#cgo pkg-config: x11 xext xtst xfixes
#cgo noescape stratus_capture
#cgo nocallback stratus_capture
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"stratus/title"
)

// Display is one connection to an X server with its capture segment.
type Display struct {
	mu    sync.Mutex
	c     *C.stratus_conn // nil after Close
	name  string
	frame title.Frame
	cur   cursor // the pointer's image, drawn into frames (cursor.go)
}

// msgLen bounds the C side's error messages.
const msgLen = 512

// Available reports whether this build can talk to an X server.
func Available() error { return nil }

// Open connects to display (":5"), checks that it has MIT-SHM and XTEST and
// a 32-bit pixel format, and attaches one shared-memory segment the size of
// the screen. Where the server has XFIXES it also asks to hear of cursor
// changes, for SetCursor; where it has not, Open still succeeds. It
// authenticates as Xlib does by default (XAUTHORITY); OpenCookie is for a
// server that wants a cookie this process's environment does not name.
func Open(display string) (*Display, error) { return open(display, nil) }

// CookieLen is the length of an MIT-MAGIC-COOKIE-1, the only kind of cookie
// OpenCookie takes.
const CookieLen = 16

// OpenCookie is Open authenticating with cookie, an MIT-MAGIC-COOKIE-1 of
// CookieLen bytes, whatever XAUTHORITY says: one edge process opens the
// displays of many sessions, each with its own cookie.
func OpenCookie(display string, cookie []byte) (*Display, error) {
	if len(cookie) != CookieLen {
		return nil, fmt.Errorf("x11: a cookie is %d bytes, got %d", CookieLen, len(cookie))
	}
	return open(display, cookie)
}

func open(display string, cookie []byte) (*Display, error) {
	name := C.CString(display)
	defer C.free(unsafe.Pointer(name))
	var ccookie *C.char
	if len(cookie) > 0 {
		ccookie = (*C.char)(C.CBytes(cookie))
		defer C.free(unsafe.Pointer(ccookie))
	}
	var msg [msgLen]C.char
	var c *C.stratus_conn
	if C.stratus_open(name, ccookie, C.int(len(cookie)), &c, &msg[0], msgLen) != 0 {
		return nil, fmt.Errorf("x11: %s", C.GoString(&msg[0]))
	}
	d := &Display{c: c, name: display}
	img := c.img
	d.frame = title.Frame{
		Format: title.BGRA,
		Width:  int(c.width),
		Height: int(c.height),
		Stride: int(img.bytes_per_line),
		Pix:    unsafe.Slice((*byte)(unsafe.Pointer(img.data)), int(img.bytes_per_line)*int(img.height)),
	}
	return d, nil
}

// Name is the display name given to Open.
func (d *Display) Name() string { return d.name }

// Size is the screen size in pixels.
func (d *Display) Size() (w, h int) { return d.frame.Width, d.frame.Height }

// Capture copies the root window into the shared segment and returns it as
// a BGRA frame (the fourth byte is whatever the server left there, usually
// 0). With SetCursor(true) the pointer is drawn over it. The frame is the
// segment itself, not a copy: it stays valid until the next Capture or
// Close, and Close unmaps it. It allocates nothing (the cursor image only
// when the cursor changes to a larger one).
func (d *Display) Capture() (*title.Frame, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.usable(); err != nil {
		return nil, err
	}
	var msg [msgLen]C.char // on the stack: noescape above
	if C.stratus_capture(d.c, &msg[0], msgLen) != 0 {
		return nil, d.fail(msg[:])
	}
	if d.c.pointer != 0 {
		d.drawCursor()
	}
	return &d.frame, nil
}

// Key presses (down) or releases an X keysym. A keysym that the server's
// keymap does not carry is an error.
func (d *Display) Key(keysym uint32, down bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.usable(); err != nil {
		return err
	}
	switch C.stratus_key(d.c, C.ulong(keysym), cbool(down)) {
	case -1:
		return fmt.Errorf("x11: keysym %#x is not in the keymap of %s", keysym, d.name)
	case -2:
		return d.lost()
	}
	return nil
}

// MoveTo moves the pointer to x, y in screen pixels.
func (d *Display) MoveTo(x, y int) error { return d.motion(x, y, true) }

// MoveBy moves the pointer by dx, dy pixels from where it is (what a game
// that grabs the pointer and reads relative motion needs).
func (d *Display) MoveBy(dx, dy int) error { return d.motion(dx, dy, false) }

func (d *Display) motion(x, y int, absolute bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.usable(); err != nil {
		return err
	}
	if C.stratus_motion(d.c, C.int(x), C.int(y), cbool(!absolute)) != 0 {
		return d.lost()
	}
	return nil
}

// Pointer buttons as X numbers them.
const (
	ButtonLeft       = 1
	ButtonMiddle     = 2
	ButtonRight      = 3
	ButtonWheelUp    = 4
	ButtonWheelDown  = 5
	ButtonWheelLeft  = 6
	ButtonWheelRight = 7
	ButtonBack       = 8
	ButtonForward    = 9
)

// Button presses or releases pointer button b (ButtonLeft … ButtonForward).
// The wheel is buttons 4 to 7: one click is a press and a release.
func (d *Display) Button(b int, down bool) error {
	if b < ButtonLeft || b > ButtonForward {
		return fmt.Errorf("x11: button %d out of range 1..9", b)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.usable(); err != nil {
		return err
	}
	if C.stratus_button(d.c, C.uint(b), cbool(down)) != 0 {
		return d.lost()
	}
	return nil
}

// Flush sends buffered input requests to the server without waiting for it.
func (d *Display) Flush() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.usable(); err != nil {
		return err
	}
	if C.stratus_flush(d.c) != 0 {
		return d.lost()
	}
	return nil
}

// Sync waits until the server has processed every request sent so far and
// returns the error one of them raised, if any. Input requests are
// asynchronous, so this is where a failed one shows.
func (d *Display) Sync() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.usable(); err != nil {
		return err
	}
	var msg [msgLen]C.char
	if C.stratus_sync(d.c, &msg[0], msgLen) != 0 {
		return d.fail(msg[:])
	}
	return nil
}

// Close detaches and frees the segment and closes the connection. The
// segment was marked for removal at Open, so detaching frees it. Safe to
// call twice; later calls on d return ErrClosed.
func (d *Display) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c == nil {
		return nil
	}
	C.stratus_close(d.c)
	d.c = nil
	d.frame.Pix = nil
	return nil
}

func (d *Display) usable() error {
	switch {
	case d.c == nil:
		return ErrClosed
	case d.c.dead != 0:
		return d.lost()
	}
	return nil
}

func (d *Display) lost() error { return fmt.Errorf("%w (display %s)", ErrLost, d.name) }

// fail turns a C message into an error, as ErrLost when the connection died.
func (d *Display) fail(msg []C.char) error {
	if d.c.dead != 0 {
		return d.lost()
	}
	return errors.New("x11: " + goString(msg))
}

// goString is C.GoString for a buffer: C.GoString would make the buffer
// escape, and Capture's would then be allocated on every call.
func goString(msg []C.char) string {
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(msg))), len(msg))
	if n := bytes.IndexByte(b, 0); n >= 0 {
		b = b[:n]
	}
	return string(b)
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
