package main

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"stratus/title/catalog"
)

// newRegistry is a process's metrics registry, with the Go runtime and
// process collectors every Stratus process exports.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// httpTimeouts bound how long a client may hold a connection of a Stratus
// HTTP server, so that slow or idle clients cannot pile up connections.
// WebSockets are not bound by them: the upgrade clears the connection's
// deadlines and the WebSocket code keeps its own (pings, pongs).
type httpTimeouts struct {
	// ReadHeader bounds reading a request's headers (slow-header clients).
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included.
	Read time.Duration
	// Write bounds a request from the end of its headers to the end of
	// its answer: handling it, long polls included, and writing.
	Write time.Duration
	// Idle bounds how long a kept-alive connection waits for its next
	// request.
	Idle time.Duration
}

// longestWrite is the margin above the longest a handler waits on purpose
// (a catalog long poll, catalog.MaxWait) left for making and sending the
// answer: a whole catalog (up to catalog.MaxBody) to a slow edge.
const longestWrite = 15 * time.Second

// defaultHTTPTimeouts are the timeouts of every server newHTTPServer
// builds.
func defaultHTTPTimeouts() httpTimeouts {
	return httpTimeouts{
		// Headers are a few KiB: a client that needs longer is stalling.
		ReadHeader: 5 * time.Second,
		// Request bodies are small (the edge API takes 256 KiB at most,
		// the studio API 64 KiB): generous even on a poor link.
		Read: 30 * time.Second,
		// Above the catalog long poll, which must not be cut off.
		Write: catalog.MaxWait + longestWrite,
		// Above the intervals at which edges, signaling and pages come
		// back, so kept-alive connections get reused, and short enough
		// that idle ones do not pile up.
		Idle: time.Minute,
	}
}

// newHTTPServer serves h, plus GET /metrics from reg, with the default
// timeouts.
func newHTTPServer(h http.Handler, reg *prometheus.Registry) *http.Server {
	return newHTTPServerWith(h, reg, defaultHTTPTimeouts())
}

// newHTTPServerWith is newHTTPServer with timeouts t.
func newHTTPServerWith(h http.Handler, reg *prometheus.Registry, t httpTimeouts) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	if reg != nil { // nil: a public listener, which shows no metrics
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
	}
}
