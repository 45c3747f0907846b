//go:build !cgo

package pulse

import (
	"fmt"
	"log/slog"
)

// Record always fails without cgo: libpulse is reached only through cgo.
// Server needs no cgo and works as usual.
func Record(server, cookie, device string, log *slog.Logger) (*Recorder, error) {
	return nil, fmt.Errorf("pulse: built without cgo: %w", ErrUnavailable)
}
