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
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/signaling/route"
	"stratus/signaling/studio"
	"stratus/title/catalog"
)

// Config is a signaling node's configuration.
type Config struct {
	// Name identifies this node in logs and to pages.
	Name string
	// Region is where this node stands; players it serves prefer edges
	// there.
	Region string
	// Location is where this node stands, the routing hint for players
	// who have measured nothing.
	Location *cluster.Location
	// PublicURL is the node's player-facing base URL, as pages reach it;
	// other nodes' pages fall back to it.
	PublicURL string
	// Edges are the base URLs of edge APIs this node routes to without
	// gossip (the all-in-one process).
	Edges []string
	// LAN are the gossip pools of the regions this node routes for, and
	// WAN the pool of signaling nodes; with them, Edges is not needed.
	LAN []cluster.PoolConfig
	WAN *cluster.PoolConfig
	// Route tunes edge choice.
	Route route.Config
	// Studio serves the studio API under /v1/studio/ and the catalog that
	// edges replicate under /v1/catalog; nil: neither is served.
	Studio *studio.Config
	// CatalogToken, when set, is required of edges reading the catalog
	// (catalog.Token of the cluster key).
	CatalogToken string
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
	return Config{Name: "signal", Region: "local", JoinTimeout: 10 * time.Second, Route: route.DefaultConfig()}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("signaling: name is empty"))
	}
	if len(c.Edges) == 0 && len(c.LAN) == 0 {
		errs = append(errs, errors.New("signaling: no edges and no gossip pools configured"))
	}
	for _, p := range c.LAN {
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("signaling: pool %s: %w", p.Pool, err))
		}
	}
	if c.WAN != nil {
		if err := c.WAN.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("signaling: wan pool: %w", err))
		}
	}
	if err := c.Route.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Studio != nil {
		if err := c.Studio.Validate(); err != nil {
			errs = append(errs, err)
		}
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
	dir      directory
	placer   *placer
	studio   *studio.Service
	web      http.Handler
	upgrader websocket.Upgrader
	metrics  *metrics

	closeOnce     sync.Once
	closing       atomic.Bool
	stop, stopped chan struct{}
	// endPolls ends the edges' catalog long polls (EndLongPolls).
	endPolls     chan struct{}
	endPollsOnce sync.Once

	mu sync.Mutex
	// seenSignals remembers every signaling node ever seen in gossip, so
	// their pages may still fall back here once the node is gone.
	seenSignals map[string]bool
}

// signals lists the signaling nodes gossip knows now, and remembers them.
func (s *Server) signals() []string {
	list := s.dir.Signals()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seenSignals == nil {
		s.seenSignals = map[string]bool{}
	}
	for _, u := range list {
		s.seenSignals[strings.TrimRight(u, "/")] = true
	}
	return list
}

// New builds a signaling node. web serves the player pages; reg receives
// metrics and may be nil.
func New(cfg Config, web http.Handler, reg prometheus.Registerer, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log.With("signal", cfg.Name), web: web, metrics: newMetrics()}
	router, err := route.New(cfg.Route)
	if err != nil {
		return nil, err
	}
	if cfg.Studio != nil {
		if s.studio, err = studio.New(*cfg.Studio, s.log); err != nil {
			return nil, err
		}
	}
	if s.dir, err = s.openDirectory(); err != nil {
		return nil, err
	}
	s.placer = newPlacer(s.dir, router, cfg.Region, cfg.Location)
	if s.studio != nil {
		s.studio.SetEdgeReports(s.placer.edgeReports)
	}
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		CheckOrigin:     s.checkOrigin,
	}
	if reg != nil {
		if err := s.metrics.register(reg); err != nil {
			s.dir.Close()
			return nil, fmt.Errorf("signaling: metrics: %w", err)
		}
	}
	s.stop, s.stopped = make(chan struct{}), make(chan struct{})
	s.endPolls = make(chan struct{})
	go s.rememberSignals()
	return s, nil
}

// rememberSignals notes the signaling nodes gossip knows, every few
// seconds, until Close.
func (s *Server) rememberSignals() {
	defer close(s.stopped)
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	var catalogChanged <-chan struct{}
	if s.studio != nil {
		catalogChanged = s.studio.Store().Changed()
	}
	for {
		s.signals()
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-catalogChanged:
			// Gossip the new revision so that edges fetch the catalog now
			// rather than at their next poll.
			catalogChanged = s.studio.Store().Changed()
			if g, ok := s.dir.(*gossipDir); ok {
				g.setCatalog(s.studio.Store().Revision(), s.log)
			}
		}
	}
}

// openDirectory joins the gossip pools, or watches the static edge list.
func (s *Server) openDirectory() (directory, error) {
	if len(s.cfg.LAN) == 0 {
		var clients []*api.Client
		for _, u := range s.cfg.Edges {
			c, _ := api.NewClient(u, nil)
			clients = append(clients, c)
		}
		return newStaticDir(clients, s.cfg.PublicURL, s.log), nil
	}
	d := &gossipDir{}
	var regions []string
	for _, p := range s.cfg.LAN {
		regions = append(regions, strings.TrimPrefix(p.Pool, "lan/"))
	}
	meta := cluster.Meta{Role: cluster.RoleSignal, Region: s.cfg.Region, API: s.cfg.PublicURL, Health: cluster.HealthOK, Regions: regions}
	if s.cfg.Location != nil {
		meta.Location = *s.cfg.Location
	}
	if s.studio != nil {
		meta.Catalog = s.studio.Store().Revision()
	}
	d.meta = meta
	for _, pc := range s.cfg.LAN {
		p, err := cluster.NewPool(pc, meta, s.log)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.lan = append(d.lan, p)
	}
	if s.cfg.WAN != nil {
		p, err := cluster.NewPool(*s.cfg.WAN, meta, s.log)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.wan = p
	}
	return d, nil
}

// EndLongPolls answers the edges' waiting catalog requests at once, so that
// an HTTP server shutting down is not held by them (http.Server's
// RegisterOnShutdown). Safe to call twice.
func (s *Server) EndLongPolls() { s.endPollsOnce.Do(func() { close(s.endPolls) }) }

// Close leaves the gossip pools. Safe to call twice.
func (s *Server) Close() error {
	s.EndLongPolls()
	s.closing.Store(true)
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.stopped
		s.dir.Close()
		if s.studio != nil {
			s.studio.Close()
		}
	})
	return nil
}

// checkOrigin admits the page's own origin, the configured ones, and
// clients that send none (tools and tests, which no browser can pose as).
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "http://"+r.Host || origin == "https://"+r.Host {
		return true
	}
	// Pages served by any signaling node of the cluster fall back to this
	// one when theirs goes away, possibly after gossip has forgotten it.
	for _, o := range append(s.cfg.AllowedOrigins, s.signals()...) {
		if strings.TrimRight(o, "/") == origin {
			return true
		}
	}
	s.mu.Lock()
	known := s.seenSignals[origin]
	s.mu.Unlock()
	if known {
		return true
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
	mux.HandleFunc("GET /v1/sessions", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		writeJSON(w, s.placer.sessions(ctx))
	})
	mux.HandleFunc("GET /v1/route", s.handleRoute)
	if s.studio != nil {
		mux.Handle(studio.Prefix, s.studio.Handler())
		mux.Handle(catalog.Path, catalog.Handler(s.studio.Store(), s.cfg.CatalogToken, s.endPolls, s.log))
	}
	if s.web != nil {
		mux.Handle("/", s.web)
	}
	return mux
}

// edgeView is what GET /v1/edges reports of each edge.
type edgeView struct {
	Name string       `json:"name"`
	Meta cluster.Meta `json:"meta"`
}

func (s *Server) handleEdges(w http.ResponseWriter, r *http.Request) {
	edges := s.dir.Edges()
	sort.Slice(edges, func(i, j int) bool { return edges[i].Name < edges[j].Name })
	out := make([]edgeView, len(edges))
	for i, e := range edges {
		out[i] = edgeView{Name: e.Name, Meta: e.Meta}
	}
	writeJSON(w, out)
}

// handleRoute explains a routing decision without placing anyone:
// GET /v1/route?title=rocks&region=eu-west&rtt=edge-a:12,edge-b:80&exclude=edge-c
func (s *Server) handleRoute(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	title := q.Get("title")
	if title == "" {
		http.Error(w, "title is required", http.StatusBadRequest)
		return
	}
	rtt := map[string]float64{}
	for _, kv := range strings.Split(q.Get("rtt"), ",") {
		name, ms, ok := strings.Cut(kv, ":")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(ms, 64)
		if err != nil || v < 0 {
			http.Error(w, fmt.Sprintf("rtt %q: want edge:milliseconds", kv), http.StatusBadRequest)
			return
		}
		rtt[name] = v
	}
	var exclude []string
	if x := q.Get("exclude"); x != "" {
		exclude = strings.Split(x, ",")
	}
	req := s.placer.request(title, rtt, exclude)
	if region := q.Get("region"); region != "" {
		req.Region = region
	}
	writeJSON(w, s.placer.decide(req))
}
