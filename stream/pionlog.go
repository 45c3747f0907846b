package stream

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/pion/logging"
)

// Pion logs through its own LoggerFactory; this adapter sends it to slog so
// an edge has one log stream, with Pion's scope (and the peer's id) as
// attributes.
//
// Levels move down one step. Pion's Info is chatty (every state change,
// every candidate) and goes to Debug; its Debug and Trace go below Debug.
// Pion's warnings go to Info because every session ends with a few of them
// ("stream is already closed", "read/write on closed pipe", whichever side
// closes first): at Warn they would teach operators to ignore warnings.
// What an operator must act on (failed connections, lost input, failed
// writes) this package logs itself at Warn. Pion's errors go to Warn.
const (
	levelPionTrace = slog.LevelDebug - 4
	levelPionDebug = slog.LevelDebug - 2
	levelPionInfo  = slog.LevelDebug
	levelPionWarn  = slog.LevelInfo
	levelPionError = slog.LevelWarn
)

// pionLoggerFactory is Pion's LoggerFactory. quiet, when set and true,
// turns Pion's warnings and errors into debug lines: a peer sets it once it
// closes, and the engine's muxes always, because what they complain about
// (packets for no known peer) any stranger can send.
type pionLoggerFactory struct {
	log   *slog.Logger
	quiet *atomic.Bool
}

func (f pionLoggerFactory) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{log: f.log.With("pion", scope), quiet: f.quiet}
}

type pionLogger struct {
	log   *slog.Logger
	quiet *atomic.Bool
}

func (l pionLogger) severe(level slog.Level) slog.Level {
	if l.quiet != nil && l.quiet.Load() {
		return slog.LevelDebug
	}
	return level
}

func (l pionLogger) msg(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg)
}

func (l pionLogger) logf(level slog.Level, format string, args ...any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, fmt.Sprintf(format, args...))
}

func (l pionLogger) Trace(msg string)                  { l.msg(levelPionTrace, msg) }
func (l pionLogger) Tracef(format string, args ...any) { l.logf(levelPionTrace, format, args...) }
func (l pionLogger) Debug(msg string)                  { l.msg(levelPionDebug, msg) }
func (l pionLogger) Debugf(format string, args ...any) { l.logf(levelPionDebug, format, args...) }
func (l pionLogger) Info(msg string)                   { l.msg(levelPionInfo, msg) }
func (l pionLogger) Infof(format string, args ...any)  { l.logf(levelPionInfo, format, args...) }
func (l pionLogger) Warn(msg string)                   { l.msg(l.severe(levelPionWarn), msg) }
func (l pionLogger) Warnf(format string, args ...any) {
	l.logf(l.severe(levelPionWarn), format, args...)
}
func (l pionLogger) Error(msg string) { l.msg(l.severe(levelPionError), msg) }
func (l pionLogger) Errorf(format string, args ...any) {
	l.logf(l.severe(levelPionError), format, args...)
}
