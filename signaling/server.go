// Package signaling is the player-facing service: it serves the web client,
// speaks the player protocol over WebSocket (see protocol.go), chooses an
// edge for each player and relays SDP and ICE between the player and that
// edge through the edge API (package edge/api).
//
// A Server is made of parts with one job each: the directory is its view
// of the cluster (gossip, or polled edges); the chooser ranks edges for a
// player; the placer tries them in order until one admits the player; the
// fan-out asks every edge at once (sessions, titles, the studio's reports);
// the signal book remembers the signaling nodes pages may fall back to;
// the catalog announcer gossips the studio catalog's revisions; the client
// table bounds what each address may hold and ask, and the sessions each
// player holds (limits.go); the queue holds the players waiting for room
// when every edge is full (queue.go); the sign-in check, where players
// sign in, says who a player is (package playerauth); and each player's
// connection (conn) runs its reader, its writer and its session.
// Which pages may open the player WebSocket is the Origin rule (origin.go).
package signaling

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"stratus/checker/qos"
	"stratus/ledger"
	"stratus/signaling/playerauth"
	"stratus/signaling/route"
	"stratus/signaling/studio"
	"stratus/title/catalog"
	"stratus/trust"
	"stratus/trust/enroll"
	"stratus/trust/nodeauth"
)

// Server is one signaling node.
type Server struct {
	cfg      Config
	log      *slog.Logger
	dir      directory
	choice   *chooser
	placer   *placer
	fanout   *fanout
	signals  *signalBook
	catalog  *catalogAnnouncer // nil unless the catalog's revisions are gossiped
	studio   *studio.Service
	web      http.Handler
	upgrader websocket.Upgrader
	metrics  *metrics
	operator *trust.Operator
	origins  originSet        // see origin.go
	clients  *clients         // what each address holds (Config.Limits)
	queue    *queue           // players waiting for room (Config.Queue)
	registry *enroll.Registry // nil without Config.Registry
	resume   *resumeSpend     // nil without Config.ResumeKey
	qos      *qos.Book        // checkers' reports; nil without a registry
	refusals *refusalBook     // edges' refusals of advertised slots; nil without a registry
	judge    judge            // scores edges from both; zero without a registry
	ledger   *ledger.Store    // the edges' usage records; nil without a registry
	shared   *sharer          // checks and verdicts shared with nodes on the ledger; nil without a registry
	// nodeKey is this node's key, which the registry certified; nil
	// without a registry.
	nodeKey ed25519.PrivateKey
	// nodeAuth believes requests its enrolled nodes sign; nil without a
	// registry.
	nodeAuth *nodeauth.Verifier
	// players checks players' sign-ins; nil while players are anonymous
	// (Config.PlayerAuth).
	players *playerauth.Verifier

	// ctx ends at Close, and with it the players' connections and their
	// calls to edges.
	ctx       context.Context
	cancel    context.CancelFunc
	closeOnce sync.Once
	closing   atomic.Bool
	// endPolls ends the edges' catalog long polls (EndLongPolls).
	endPolls     chan struct{}
	endPollsOnce sync.Once

	mu     sync.Mutex
	closed bool           // no more connections
	conns  sync.WaitGroup // open player connections
}

// New builds a signaling node. web serves the player pages; reg receives
// metrics and may be nil.
func New(cfg Config, web http.Handler, reg prometheus.Registerer, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newServer(cfg, web, reg, log, openDirectory)
}

// dirOpener opens a server's directory (see openDirectory).
// gate is nil when every member the pools believe may be routed to.
type dirOpener func(cfg Config, catalogRev uint64, gate gate, log *slog.Logger) (directory, catalogPublisher, error)

// newServer builds a signaling node on the directory open gives it.
func newServer(cfg Config, web http.Handler, reg prometheus.Registerer, log *slog.Logger, open dirOpener) (*Server, error) {
	s := &Server{cfg: cfg, log: log.With("signal", cfg.Name), web: web, metrics: newMetrics(), endPolls: make(chan struct{})}
	s.operator = trust.NewOperator(cfg.OperatorToken, s.log)
	s.origins = newOriginSet(cfg.PublicURL, cfg.AllowedOrigins)
	s.clients = newClients(cfg.Limits, time.Now)
	s.resume = newResumeSpend(cfg.ResumeKey)
	s.queue = newQueue(cfg.Queue.PerTitle, s.metrics.queueLength)
	if cfg.AllowNoOrigin {
		s.log.Warn("development mode: player WebSockets without an Origin are admitted")
	}
	switch {
	case cfg.OperatorToken != "":
	case cfg.OperatorOpen:
		s.log.Warn("no operator token, development mode: the sessions, edges, routing and metrics are open to anyone")
	default:
		s.log.Warn("no operator token configured: the sessions, edges, routing and metrics refuse every request (start with -operator-token-file)")
	}
	if cfg.PlayerAuth != nil {
		v, err := playerauth.New(*cfg.PlayerAuth, s.log)
		if err != nil {
			return nil, err
		}
		s.players = v
		s.log.Info("players must sign in", "issuer", cfg.PlayerAuth.Issuer, "audience", cfg.PlayerAuth.Audience)
	}
	router, err := route.New(cfg.Route)
	if err != nil {
		return nil, err
	}
	var g gate
	if cfg.Registry != nil {
		if cfg, err = s.openRegistry(cfg); err != nil {
			return nil, err
		}
		s.qos = qos.NewBook(qosKeep, qosMaxAge, qosFPS)
		if s.ledger, err = ledger.Open(context.Background(), cfg.LedgerDB, cfg.DataDir); err != nil {
			s.closeRegistry()
			return nil, err
		}
		s.refusals = newRefusalBook(time.Now, s.judgedRefusal, s.rescore)
		s.judge = judge{Registry: s.registry, book: s.qos, refusals: s.refusals}
		s.cfg, g = cfg, s.judge
		if s.nodeAuth, err = s.newNodeVerifier(); err != nil {
			s.closeRegistry()
			return nil, err
		}
		s.shared = &sharer{log: s.log, db: s.ledger, registry: s.registry, name: cfg.Name, key: s.nodeKey, now: time.Now,
			settle: s.refusals.settle, checked: s.checkedElsewhere, lied: s.refusals.liedElsewhere}
	}
	var rev uint64
	if cfg.Studio != nil {
		sc := *cfg.Studio
		if s.ledger != nil {
			// The catalog shares the ledger's database: nodes on one
			// PostgreSQL then share one catalog.
			sc.DB = s.ledger
		}
		if s.studio, err = studio.New(sc, s.log); err != nil {
			s.closeRegistry()
			return nil, err
		}
		rev = s.studio.Store().Revision()
	}
	dir, pub, err := open(cfg, rev, g, s.log)
	if err != nil {
		s.closeStudio()
		s.closeRegistry()
		return nil, err
	}
	if reg != nil {
		if err := s.metrics.register(reg); err != nil {
			dir.Close()
			s.closeStudio()
			s.closeRegistry()
			return nil, fmt.Errorf("signaling: metrics: %w", err)
		}
	}
	s.dir = dir
	clients := newEdgeClients(cfg.TicketKey, cfg.OperatorToken)
	s.choice = newChooser(dir, router, cfg.Region, cfg.Location)
	s.placer = newPlacer(dir, s.choice, clients, s.refusals)
	s.fanout = newFanout(dir, clients, time.Now)
	if s.studio != nil {
		s.studio.SetEdgeReports(s.fanout.edgeReports)
	}
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		CheckOrigin:     s.checkOrigin,
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.signals = newSignalBook(dir)
	if s.studio != nil && pub != nil {
		s.catalog = newCatalogAnnouncer(s.studio.Store(), pub)
	}
	// Last: its first rows may move edges in the chooser.
	if s.shared != nil {
		if err := startSharer(s.shared); err != nil {
			s.cancel()
			s.signals.close()
			if s.catalog != nil {
				s.catalog.close()
			}
			dir.Close()
			s.closeStudio()
			s.closeRegistry()
			return nil, err
		}
	}
	return s, nil
}

func (s *Server) closeStudio() {
	if s.studio != nil {
		s.studio.Close()
	}
}

// EndLongPolls answers the edges' waiting catalog requests at once, so that
// an HTTP server shutting down is not held by them (http.Server's
// RegisterOnShutdown). Safe to call twice.
func (s *Server) EndLongPolls() { s.endPollsOnce.Do(func() { close(s.endPolls) }) }

// Close ends the players' connections without ending their sessions (their
// pages reconnect to another node and play on), then leaves the gossip
// pools. Safe to call twice.
func (s *Server) Close() error {
	s.EndLongPolls()
	s.closing.Store(true)
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		s.conns.Wait()
		s.signals.close()
		s.shared.close()
		if s.catalog != nil {
			s.catalog.close()
		}
		s.dir.Close()
		s.closeStudio()
		s.closeRegistry()
	})
	return nil
}

// connOpened counts a player connection, unless the server is closed.
func (s *Server) connOpened() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns.Add(1)
	return true
}

func (s *Server) connClosed() { s.conns.Done() }

// RequireOperator wraps h so that only the operator reaches it: a request
// must carry the node's operator token (Config.OperatorToken), unless
// Config.OperatorOpen leaves a node without one open.
func (s *Server) RequireOperator(h http.Handler) http.Handler {
	if s.cfg.OperatorOpen && s.cfg.OperatorToken == "" {
		return h
	}
	return s.operator.Require(h)
}

// Handler serves the player WebSocket, the web client and health, and, to
// the operator only, the sessions, the edges and routing.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/ws", s.serveWS)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	// Who plays where, and the edges' addresses, are the operator's to
	// know.
	mux.Handle("GET /v1/edges", s.RequireOperator(http.HandlerFunc(s.handleEdges)))
	mux.Handle("GET /v1/sessions", s.RequireOperator(http.HandlerFunc(s.handleSessions)))
	mux.Handle("GET /v1/route", s.RequireOperator(http.HandlerFunc(s.handleRoute)))
	if s.registry != nil {
		h := s.registry.Handler(s.RequireOperator)
		mux.Handle("/v1/operators", h)
		mux.Handle("/v1/operators/", h)
		mux.Handle("/v1/enroll", h)
		mux.HandleFunc("POST /v1/checks", s.handleCheck)
		mux.HandleFunc("POST /v1/usage", s.handleUsagePut)
		mux.HandleFunc("GET /v1/usage", s.handleUsage)            // the operator's, or a studio's own (usageview.go)
		mux.HandleFunc("GET "+NodeStatusPath, s.handleNodeStatus) // signed by an enrolled node
		mux.Handle("GET /v1/usage/contribution", s.RequireOperator(http.HandlerFunc(s.handleContributions)))
	}
	if s.studio != nil {
		mux.Handle(studio.Prefix, s.studio.Handler())
		mux.Handle(catalog.Path, catalog.Handler(s.studio.Store(), s.cfg.CatalogToken, s.endPolls, s.log))
	}
	if s.web != nil {
		mux.Handle("/", s.web)
	}
	return mux
}
