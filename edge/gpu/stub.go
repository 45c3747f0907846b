//go:build !cgo

package gpu

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Monitor is never opened in a build without cgo; a nil one reports no
// GPUs, like a real Monitor's nil value.
type Monitor struct{}

// Open always fails without cgo, with an error that is ErrNoDriver to
// errors.Is, so the edge proceeds the way it does on a machine without a
// driver: go-nvml reaches NVML only through cgo.
func Open(log *slog.Logger) (*Monitor, error) {
	return nil, fmt.Errorf("%w: built without cgo", ErrNoDriver)
}

// Inventory reports no GPUs.
func (m *Monitor) Inventory() Inventory { return Inventory{GPUs: []GPU{}, Taken: time.Now()} }

// Close does nothing.
func (m *Monitor) Close() error { return nil }

// Collector exports nothing, there being no GPUs.
func (m *Monitor) Collector() prometheus.Collector {
	return newCollector(m.Inventory, scrapeMaxAge, time.Now)
}
