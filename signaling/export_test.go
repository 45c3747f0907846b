package signaling

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Directory is what a server needs of its view of the cluster; the tests
// of package signaling_test give it an edgenet.Net.
type Directory = directory

// NewOn builds a server on dir instead of the directory cfg describes.
func NewOn(cfg Config, dir Directory, web http.Handler, log *slog.Logger) (*Server, error) {
	open := func(Config, uint64, gate, *slog.Logger) (directory, catalogPublisher, error) { return dir, nil, nil }
	return newServer(cfg, web, prometheus.NewRegistry(), log, open)
}

// SkipWarmUp makes s answer "no edge" at once, as a node long started
// does, rather than wait for gossip.
func SkipWarmUp(s *Server) { s.placer.started = time.Time{} }

// Eventually is eventually, for package signaling_test.
func Eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	eventually(t, what, cond)
}

// Waiting counts the players in title's line on s.
func Waiting(s *Server, title string) int { return s.queue.waiting(title) }

// QueueMetrics are the queue's length gauge for title and the count of
// waits observed that ended with result.
func QueueMetrics(s *Server, title, result string) (length float64, waits uint64) {
	var g, h dto.Metric
	if err := s.metrics.queueLength.WithLabelValues(title).Write(&g); err == nil {
		length = g.GetGauge().GetValue()
	}
	if err := s.metrics.queueWait.WithLabelValues(result).(prometheus.Histogram).Write(&h); err == nil {
		waits = h.GetHistogram().GetSampleCount()
	}
	return length, waits
}
