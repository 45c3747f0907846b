//go:build !cgo

package x11

import "stratus/title"

// Display is a stand-in: without cgo no display can be opened.
type Display struct{}

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

// Available reports ErrUnavailable: this build has no cgo.
func Available() error { return ErrUnavailable }

// CookieLen is the length of an MIT-MAGIC-COOKIE-1.
const CookieLen = 16

// Open reports ErrUnavailable.
func Open(display string) (*Display, error) { return nil, ErrUnavailable }

// OpenCookie reports ErrUnavailable.
func OpenCookie(display string, cookie []byte) (*Display, error) { return nil, ErrUnavailable }

func (d *Display) Name() string                       { return "" }
func (d *Display) Size() (w, h int)                   { return 0, 0 }
func (d *Display) Capture() (*title.Frame, error)     { return nil, ErrUnavailable }
func (d *Display) SetCursor(on bool) error            { return ErrUnavailable }
func (d *Display) Key(keysym uint32, down bool) error { return ErrUnavailable }
func (d *Display) MoveTo(x, y int) error              { return ErrUnavailable }
func (d *Display) MoveBy(dx, dy int) error            { return ErrUnavailable }
func (d *Display) Button(b int, down bool) error      { return ErrUnavailable }
func (d *Display) Flush() error                       { return ErrUnavailable }
func (d *Display) Sync() error                        { return ErrUnavailable }
func (d *Display) Close() error                       { return nil }
