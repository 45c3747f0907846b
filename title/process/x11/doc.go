// Package x11 is the small cgo layer between the process runtime and an X
// server: it captures the root window through the MIT-SHM extension and
// injects keyboard and pointer input through XTEST. Nothing else in Stratus
// links against Xlib, so the C stays in this one leaf package.
//
// A Display is one client connection with one shared-memory segment sized
// for the whole screen, allocated at Open. Capture asks the server to copy the
// root window into that segment (one round trip, no copy through the socket)
// and hands out the segment itself as a title.Frame.
//
// # The pointer
//
// An X server keeps its cursor out of the framebuffer, so a capture never
// shows the pointer, and a player of a mouse-driven game would not see
// where it is (the page hides its own cursor under pointer lock, and the
// game may warp the pointer anyway). With SetCursor(true), Capture draws
// it: Open selects XFixes' CursorNotify on the root window, so the cursor's
// image (premultiplied ARGB) is fetched into Go memory only when the server
// says it changed; each frame asks the server where the pointer is (a
// QueryPointer request sent ahead of the capture's, so both come back in
// one round trip) and blends the image there, hot spot on the pointer,
// clipped to the frame. A game that hides the pointer does so
// by setting an invisible cursor, which then draws nothing. A cursor hidden
// with XFixesHideCursor still draws: XFixes reports the cursor a window
// has, not whether it is hidden.
//
// # Errors that Xlib would turn into exits
//
// Xlib's default handlers end the process: a protocol error (a bad window, a
// bad button) prints and exits, and so does losing the connection (the X
// server died). An edge runs many sessions, so one game's dead display must
// not take the others down. This package therefore installs, once per
// process:
//
//   - an error handler that only records the error code, so a failed request
//     is returned as a Go error (Capture, Open) or by the next Sync (input
//     requests are asynchronous);
//   - an I/O error handler that prints nothing, and, per connection, an I/O
//     error exit handler (XSetIOErrorExitHandler, libX11 1.7 or later; Debian
//     12 ships 1.8) that marks the connection lost and returns instead of
//     calling exit. Every later call on that Display returns ErrLost; Close
//     still frees it.
//
// The handlers are process-wide in Xlib, so they replace whatever another
// Xlib user in the same process installed; Stratus has no other.
//
// A Display is safe for concurrent use: every method takes its lock, so a
// Close from another goroutine waits for a Capture in progress.
//
// Built without cgo (CGO_ENABLED=0), Open and Available return an error
// wrapping ErrUnavailable, and the rest of Stratus still builds.
package x11

import "errors"

var (
	// ErrUnavailable means this binary was built without cgo, so it cannot
	// talk to an X server.
	ErrUnavailable = errors.New("x11: built without cgo")
	// ErrClosed is returned by calls on a Display after Close.
	ErrClosed = errors.New("x11: display closed")
	// ErrLost means the connection to the X server broke (the server exited
	// or was killed). The Display is useless from then on; Close it.
	ErrLost = errors.New("x11: connection to the X server lost")
	// ErrNoCursor is wrapped by SetCursor(true) when the server lacks what
	// drawing the pointer needs (XFIXES 2). Capture still works, without it.
	ErrNoCursor = errors.New("x11: cannot draw the pointer")
)
