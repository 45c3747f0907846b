// Package signaling is the player-facing service: it serves the web client,
// speaks the player protocol over WebSocket (see protocol.go), chooses an
// edge for each player and relays SDP and ICE between the player and that
// edge through the edge API (package edge/api).
package signaling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"stratus/edge/api"
)

// Config is a signaling node's configuration.
type Config struct {
	// Name identifies this node in logs.
	Name string
	// Edges are the base URLs of the edge APIs this node routes to.
	Edges []string
	// AllowedOrigins lists extra Origins that may open the player
	// WebSocket; the page's own origin is always allowed. Browsers send
	// Origin on WebSocket upgrades, so this is what stops other sites from
	// starting sessions on a player's behalf.
	AllowedOrigins []string
	// JoinTimeout bounds one join, edge set-up included.
	JoinTimeout time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	// A join waits for the edge to answer with its ICE candidates, which
	// takes milliseconds; 10 s covers a slow edge without hanging the page.
	return Config{Name: "signal", JoinTimeout: 10 * time.Second}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("signaling: name is empty"))
	}
	if len(c.Edges) == 0 {
		errs = append(errs, errors.New("signaling: no edges configured"))
	}
	for _, e := range c.Edges {
		if _, err := api.NewClient(e, nil); err != nil {
			errs = append(errs, fmt.Errorf("signaling: %w", err))
		}
	}
	if c.JoinTimeout <= 0 {
		errs = append(errs, fmt.Errorf("signaling: join timeout %v must be positive", c.JoinTimeout))
	}
	return errors.Join(errs...)
}

// Server is one signaling node.
type Server struct {
	cfg      Config
	log      *slog.Logger
	edges    []*api.Client
	web      http.Handler
	upgrader websocket.Upgrader
	metrics  *metrics
}

// New builds a signaling node. web serves the player pages; reg receives
// metrics and may be nil.
func New(cfg Config, web http.Handler, reg prometheus.Registerer, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log.With("signal", cfg.Name), web: web, metrics: newMetrics()}
	for _, u := range cfg.Edges {
		c, _ := api.NewClient(u, nil)
		s.edges = append(s.edges, c)
	}
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		CheckOrigin:     s.checkOrigin,
	}
	if reg != nil {
		if err := s.metrics.register(reg); err != nil {
			return nil, fmt.Errorf("signaling: metrics: %w", err)
		}
	}
	return s, nil
}

// checkOrigin admits the page's own origin, the configured ones, and
// clients that send none (tools and tests, which no browser can pose as).
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "http://"+r.Host || origin == "https://"+r.Host {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if o == origin {
			return true
		}
	}
	s.log.Warn("websocket refused: origin not allowed", "origin", origin)
	return false
}

// Handler serves the player WebSocket, the web client and health.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/ws", s.serveWS)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /v1/edges", s.handleEdges)
	if s.web != nil {
		mux.Handle("/", s.web)
	}
	return mux
}

// edgeView is what GET /v1/edges reports of each edge.
type edgeView struct {
	URL    string      `json:"url"`
	Up     bool        `json:"up"`
	Error  string      `json:"error,omitempty"`
	Status *api.Status `json:"status,omitempty"`
}

func (s *Server) handleEdges(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	out := make([]edgeView, len(s.edges))
	for i, c := range s.edges {
		out[i].URL = c.URL()
		st, err := c.Status(ctx)
		if err != nil {
			out[i].Error = err.Error()
			continue
		}
		st.Sessions = nil
		out[i].Up, out[i].Status = true, &st
	}
	writeJSON(w, out)
}
