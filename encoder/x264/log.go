//go:build cgo

package x264

/*
#include <stdint.h>
*/
import "C"

import (
	"context"
	"log/slog"
	"runtime/cgo"
	"strings"
)

// stratusX264Log receives x264's messages, which would otherwise go to the
// process's stderr, bypassing the structured log. x264 may call it from its
// slice threads; the handle names the encoder's logger.
//
//export stratusX264Log
func stratusX264Log(handle C.uintptr_t, level C.int, msg *C.char) {
	log, ok := cgo.Handle(handle).Value().(*slog.Logger)
	if !ok {
		return
	}
	text := strings.TrimSpace(C.GoString(msg))
	lvl := slogLevel(int(level))
	// When the congestion controller squeezes the rate below what the
	// picture content needs, x264 reports an underflow on every picture
	// while its rate control catches up. That is expected, and at 60 fps
	// it would flood the log.
	if strings.HasPrefix(text, "VBV underflow") {
		lvl = slog.LevelDebug
	}
	log.Log(context.Background(), lvl, text)
}

// slogLevel maps X264_LOG_ERROR (0) .. X264_LOG_DEBUG (3).
func slogLevel(level int) slog.Level {
	switch level {
	case 0:
		return slog.LevelError
	case 1:
		return slog.LevelWarn
	case 2:
		return slog.LevelInfo
	default:
		return slog.LevelDebug
	}
}
