package signaling

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
