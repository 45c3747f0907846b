// Package pulse gives each game session its own PulseAudio server and
// records what the game plays into it, ten milliseconds at a time, for the
// session's Opus encoder.
//
// # Why a server per session
//
// A game process is an ordinary Linux program: it finds its sound server
// through PULSE_SERVER (or the usual per-user socket) and plays into the
// default sink. Giving every session a private server, with one null sink
// named SinkName and nothing else, means:
//
//   - isolation: one player never hears another player's game, and a game
//     cannot list, move or record other sessions' streams, because it can
//     only reach its own server, and even a game that reached another's
//     socket would be refused without that server's cookie (Env names the
//     game's own; CookiePath says who may read it);
//   - nothing to configure on the host: no system-wide daemon, no
//     per-session sinks to create and clean up, no sound card. The server
//     runs as the edge's user with its socket, state and log inside the
//     session's directory, and ends with the session;
//   - the format Stratus wants: the null sink runs at title.AudioRate in
//     stereo, so PulseAudio mixes and resamples whatever the game plays,
//     and the edge records the sink's monitor source (MonitorSource)
//     already in the encoder's format.
//
// A null sink's monitor delivers samples continuously, silence when nothing
// plays, on the server's clock, so the Recorder's reads return every 10 ms
// whether or not the game makes sound, and end with an error when the
// server goes away.
//
// # Latency
//
// Every buffer on the way is kept to about one 10 ms frame: the record
// stream asks for 10 ms fragments, which sets the null sink's own latency
// to a few ms; the Recorder holds at most one chunk more than the session
// asks for, dropping the oldest sound rather than falling behind; and
// Record restarts the sink's clock, which otherwise keeps the 2 s blocks
// it renders while nobody listens. A game's own stream buffer (tlength)
// comes on top and is the game's choice. In the tests, a tone written
// into pacat (20 ms of buffer) comes out of ReadAudio 40 to 55 ms later,
// counting the 10 ms tick the session reads on.
//
// # Pieces
//
// Server (plain Go) starts and stops the pulseaudio process; Env is what a
// game process needs in its environment, the server's cookie included.
// Recorder (cgo, libpulse) reads the monitor into a small buffer, with the
// same cookie, and implements title.AudioSource.
// Built without cgo, Record returns an error wrapping ErrUnavailable so the
// rest of the edge still builds.
//
// The Debian packages needed are pulseaudio (the server), libpulse-dev (to
// build the Recorder) and, for the tests only, pulseaudio-utils (pacat and
// pactl, which stand in for a game).
package pulse

import "errors"

// ErrUnavailable is returned by Record when the package was built without
// cgo, so libpulse cannot be reached.
var ErrUnavailable = errors.New("pulse: recorder unavailable")

// ErrNotInstalled is returned by Start when the pulseaudio binary is not
// found.
var ErrNotInstalled = errors.New("pulse: pulseaudio not installed (Debian package pulseaudio)")

const (
	// SinkName is the one sink of a session's server, where the game's
	// sound goes.
	SinkName = "stratus"
	// MonitorSource is the source that carries what SinkName plays: what
	// the Recorder records.
	MonitorSource = SinkName + ".monitor"
	// SessionEnv marks the server process's environment with its session
	// ID, so a sweep after an edge crash can find and kill leftovers.
	SessionEnv = "STRATUS_SESSION"
)
