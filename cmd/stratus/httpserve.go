package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newRegistry is a process's metrics registry, with the Go runtime and
// process collectors every Stratus process exports.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// newHTTPServer serves h, plus GET /metrics from reg. Only the header read
// is timed out: player WebSockets are long-lived.
func newHTTPServer(h http.Handler, reg *prometheus.Registry) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
}

// serveUntilSignal serves srv on ln until it fails or the first SIGINT or
// SIGTERM arrives; then drain (may be nil) runs while the server still
// answers, and the server shuts down. A second signal exits at once, after
// atExit (may be nil).
func serveUntilSignal(srv *http.Server, ln net.Listener, log *slog.Logger, drain, atExit func()) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ctx, cancel := signalContext(log, atExit)
	defer cancel()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		if drain != nil {
			drain()
		}
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
