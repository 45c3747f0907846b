package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"stratus/internal/clustertest"
	"stratus/internal/freeport"
)

const (
	healthTimeout = 30 * time.Second
	stopTimeout   = 10 * time.Second
)

// server is a running `stratus serve` child process.
type server struct {
	proc *clustertest.Process
	args []string // the command line, binary first
	base string   // player-facing URL
	edge edgeClient
}

// startServer runs `bin serve` on free loopback ports with media on
// loopback too, its output in dir/server.log and on stderr, and waits until
// both HTTP listeners answer /healthz.
func startServer(ctx context.Context, bin, dir string) (*server, error) {
	ports, err := freeport.Ports("127.0.0.1", 2, freeport.TCP)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	edgeAddr := "127.0.0.1:" + strconv.Itoa(ports[1])
	args := []string{bin, "serve",
		"-addr", addr, "-edge-addr", edgeAddr,
		"-media-ip", "127.0.0.1", "-udp-port", "0", "-tcp-port", "0",
		"-log-level", "warn"}
	// Every run's tab comes from loopback, and the previous tab's socket
	// may still be closing.
	args = append(args, clustertest.ManyPlayers()...)
	p, err := clustertest.StartEcho(dir, "server", args, os.Stderr)
	if err != nil {
		return nil, err
	}
	s := &server{proc: p, args: args, base: "http://" + addr, edge: newEdgeClient("http://" + edgeAddr)}
	if err := s.waitHealthy(ctx); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// waitHealthy waits until /healthz answers on both listeners, within
// healthTimeout in all; it fails at once when the server exits.
func (s *server) waitHealthy(ctx context.Context) error {
	deadline := time.Now().Add(healthTimeout)
	hc := clustertest.HTTPClient()
	for _, url := range []string{s.base + "/healthz", s.edge.base + "/healthz"} {
		if err := s.proc.WaitReady(ctx, hc, url, time.Until(deadline)); err != nil {
			return fmt.Errorf("server: %w", err)
		}
	}
	return nil
}

// stop asks the server to drain and exit (SIGTERM, as a service manager
// would) and kills it if it has not exited within stopTimeout.
func (s *server) stop() {
	if !s.proc.Stop(stopTimeout) {
		progress("server did not stop within %v; killed it", stopTimeout)
	}
}

// playURL is the play page for a title.
func (s *server) playURL(title string) string {
	return s.base + "/play?title=" + title
}
