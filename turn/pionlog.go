package turn

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLogs sends pion's logs to slog, everything at Debug or below: what
// pion complains of (malformed packets, failed auth) any stranger on the
// internet can cause, so it is never an operator's warning. What an
// operator must see this package logs itself.
type pionLogs struct{ log *slog.Logger }

func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLog{f.log.With("pion", scope)}
}

type pionLog struct{ log *slog.Logger }

func (l pionLog) at(level slog.Level, msg string) { l.log.Log(context.Background(), level, msg) }

func (l pionLog) Trace(msg string)                  { l.at(slog.LevelDebug-4, msg) }
func (l pionLog) Tracef(format string, args ...any) { l.Trace(fmt.Sprintf(format, args...)) }
func (l pionLog) Debug(msg string)                  { l.at(slog.LevelDebug-2, msg) }
func (l pionLog) Debugf(format string, args ...any) { l.Debug(fmt.Sprintf(format, args...)) }
func (l pionLog) Info(msg string)                   { l.at(slog.LevelDebug-1, msg) }
func (l pionLog) Infof(format string, args ...any)  { l.Info(fmt.Sprintf(format, args...)) }
func (l pionLog) Warn(msg string)                   { l.at(slog.LevelDebug, msg) }
func (l pionLog) Warnf(format string, args ...any)  { l.Warn(fmt.Sprintf(format, args...)) }
func (l pionLog) Error(msg string)                  { l.at(slog.LevelDebug, msg) }
func (l pionLog) Errorf(format string, args ...any) { l.Error(fmt.Sprintf(format, args...)) }
