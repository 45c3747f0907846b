// Package process runs a real game program as a title: each instance gets
// its own virtual X display (Xvfb), the game draws into it like on any
// desktop, frames are captured from it through X11 shared memory and player
// input is injected through XTEST (package x11). An Instance implements
// title.Title, so sessions treat it like a built-in game.
//
// The frames show the mouse pointer, drawn over the capture where the X
// server has it (an X server keeps its cursor out of what a capture reads,
// and a player must see the pointer of a mouse-driven game); a server
// without the XFIXES extension gives frames without it, which Start logs.
// Config.NoCursor leaves it out.
//
// # Lifetime and leaks
//
// A game is a program we do not control: it may fork helpers, ignore
// SIGTERM, or outlive a crashed edge. Every process the runtime starts
// (Xvfb and the game) carries STRATUS_SESSION=<session> in its environment,
// which its children inherit; that marker, not a PID alone, is how the
// runtime recognises its processes later, because PIDs and process-group IDs
// are reused by the kernel.
//
//   - Both Xvfb and the game run in their own process group with
//     Pdeathsig SIGKILL, so a crashed edge takes its direct children with it.
//   - Before anything starts, a session record (RunDir/sessions/<id>.json) is
//     written, and updated after each start with the PIDs and the display.
//     Close removes it. A record left on disk therefore means a crashed
//     edge, and NewRuntime sweeps it: it kills what still carries the marker
//     (grandchildren that Pdeathsig does not reach), the recorded Xvfb, and
//     the display's stale lock and socket files.
//
// # Files under RunDir
//
//	sessions/<id>.json   session record (see above)
//	logs/<id>.log        the game's stdout and stderr, capped at LogLimit
//	tmp/<id>/home        the game's HOME
//	tmp/<id>/run         the game's XDG_RUNTIME_DIR
//	tmp/<id>.audio       the session's PulseAudio server (Games)
//
// Logs are kept after the session for diagnosis (the newest 1000, for a
// week); tmp/<id> is removed.
package process
