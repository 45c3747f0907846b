// Package edge is the edge node: it admits players up to its capacity, runs
// their sessions (title, encoder and WebRTC peer each), and serves the edge
// API (package edge/api) that signaling nodes call, plus health and metrics.
//
// An Edge is a composition of rooms, each with one job and its own lock:
// admission (the slots, and when a drain is over), the session registry,
// the warm standbys (standby.go: connections held ready to take a failed
// edge's player over, activated from their own data channel), page control (what each player's page is told), the GPU watch, the
// encoders, the titles and their catalog follower, and the gossip
// publisher. Every goroutine belongs to the edge's tasks and ends with
// Close.
package edge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/edge/gpu"
	"stratus/edge/usage"
	"stratus/encoder"
	"stratus/encoder/x264"
	"stratus/stream"
	"stratus/title"
	"stratus/trust"
	"stratus/trust/resume"
)

// Edge is one edge node.
type Edge struct {
	cfg     Config
	log     *slog.Logger
	started time.Time
	// stateKey seals and opens resume tokens.
	stateKey []byte
	// spent remembers the resume tokens taken, so each is used once.
	spent *resume.Spent
	// control guards the control API.
	control *trust.Control

	engine  *stream.Engine
	metrics *metrics
	// hw is the machine's GPUs and encoders; gpus keeps the last reading
	// of the GPUs and encoders places each session's encoder on them.
	hw       hardware
	gpus     *gpuWatch
	encoders *encoders
	render   *rendering
	titles   *titles

	admit    *admission
	sessions *registry
	standbys *standbys
	page     *pageControl

	// pool and pub are the gossip membership, when configured (member.go);
	// nil otherwise.
	pool *cluster.Pool
	pub  *publisher

	tasks *tasks
	// journal and usage keep the sessions' usage records; nil without
	// Config.UsageDir.
	journal *usage.Journal
	usage   *usageMeter
}

// New builds an edge, reads its GPUs (sessions encode with NVENC where a
// GPU has room, with x264 otherwise) and opens its media sockets. reg
// receives the edge's metrics, the GPUs' included; it may be nil.
func New(cfg Config, builtin *title.Catalog, reg prometheus.Registerer, log *slog.Logger) (*Edge, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !x264.Available() {
		// x264 is the encoder every session can fall back on, so an edge
		// without it is refused even on a machine with NVENC.
		return nil, fmt.Errorf("edge: no video encoder: x264: %w (build with cgo and libx264)", encoder.ErrUnavailable)
	}
	log = log.With("edge", cfg.Name, "region", cfg.Region)
	return newEdge(cfg, builtin, reg, log, openHardware(log))
}

// newEdge is New on given hardware, which tests fake. It takes hw over:
// the edge closes it, and so does a failed newEdge.
func newEdge(cfg Config, builtin *title.Catalog, reg prometheus.Registerer, log *slog.Logger, hw hardware) (_ *Edge, err error) {
	defer func() {
		if err != nil && hw.close != nil {
			hw.close()
		}
	}()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if builtin == nil {
		return nil, errors.New("edge: no built-in catalog")
	}
	engine, err := stream.NewEngine(cfg.Stream, log)
	if err != nil {
		return nil, fmt.Errorf("edge: %w", err)
	}
	e := &Edge{
		cfg:      cfg,
		log:      log,
		started:  time.Now(),
		stateKey: cfg.StateKey,
		spent:    resume.NewSpent(),
		control:  trust.NewControl(cfg.Name, cfg.TicketKey, cfg.OperatorToken, log),
		engine:   engine,
		hw:       hw,
		sessions: newRegistry(),
		tasks:    newTasks(),
	}
	if len(e.stateKey) == 0 {
		e.stateKey = make([]byte, 32)
		rand.Read(e.stateKey)
	}
	e.page = &pageControl{name: cfg.Name, region: cfg.Region, key: e.stateKey, log: log}
	e.metrics = newMetrics(e)
	// The rooms below tell the publisher of changes through e.publish,
	// since it comes last: it gossips what they hold.
	e.gpus = newGPUWatch(hw.gpus, cfg.gpuLimits(), e.publish, log)
	e.render = newRendering(e.probeGraphics, e.gpus.inventory, uint64(cfg.GPUSessionMiB)<<20, log)
	e.encoders = newEncoders(cfg, hw, func() gpu.Inventory { return e.render.charge(e.gpus.inventory()) },
		e.metrics.fallbacks.Inc, log)
	e.gpus.read()
	e.titles = newTitles(builtin, cfg.Runtime, e.render, cfg.TitlesDir, cfg.Region, e.gpus.inventory, log)
	e.admit = newAdmission(cfg.Name, e.capacity)
	e.standbys = newStandbys(cfg.Name, cfg.Standbys)
	if cfg.UsageDir != "" {
		j, err := usage.Open(cfg.UsageDir, cfg.UsageKey, log)
		if err != nil {
			engine.Close()
			return nil, err
		}
		e.journal = j
		e.usage = newUsageMeter(j, usage.Record{Edge: cfg.Name, Region: cfg.Region, Operator: cfg.Operator}, e.gpuModel)
		e.usage.log, e.usage.push = log, e.pushUsage
	}
	if err := e.register(reg); err != nil {
		engine.Close()
		e.closeJournal()
		return nil, err
	}
	if err := e.join(); err != nil {
		engine.Close()
		e.closeJournal()
		return nil, err
	}
	if e.usage != nil {
		e.tasks.start(func(ctx context.Context) {
			if err := e.usage.run(ctx); err != nil {
				e.log.Error("usage: journal write failed; usage is no longer checkpointed", "err", err)
			}
		})
	}
	if e.pub != nil {
		e.tasks.start(e.pub.run)
	}
	if hw.gpus != nil {
		e.tasks.start(e.gpus.run)
	}
	if e.pool != nil || len(cfg.CatalogURLs) > 0 {
		var members memberLister
		if e.pool != nil {
			members = e.pool
		}
		e.tasks.start(newCatalogFollower(cfg, members, e.titles, e.publish, log).run)
	}
	e.logEncoders()
	log.Info("edge ready", "capacity", e.capacity(), "media_udp", engine.UDPAddr(), "media_tcp", engine.TCPAddr())
	return e, nil
}

// register gives reg the edge's metrics and its GPUs'.
func (e *Edge) register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	if err := reg.Register(e.metrics); err != nil {
		return fmt.Errorf("edge: metrics: %w", err)
	}
	if e.hw.collector != nil {
		if err := reg.Register(e.hw.collector); err != nil {
			reg.Unregister(e.metrics)
			return fmt.Errorf("edge: GPU metrics: %w", err)
		}
	}
	return nil
}

// publish asks for the edge's metadata to be gossiped now; without gossip
// it does nothing. It never blocks.
func (e *Edge) publish() { e.pub.publish() }

// gameEnder is a Runtime that can end every game it started (the edge is
// exiting). Close may take a grace period per game, the games in parallel;
// it is called once, from Edge.Close, while sessions may still be
// capturing those games.
type gameEnder interface {
	Close() error
}

// Close ends every session, waits for them and for every other goroutine
// of the edge, and closes the media sockets. Safe to call twice.
//
// The games of process titles are ended before the sessions are waited
// for: a session whose game no longer answers (its capture stuck on a
// stopped display server) then sees its capture fail at once, rather than
// hold the shutdown until its watchdog gives up.
func (e *Edge) Close() error {
	if !e.admit.close() {
		return nil
	}
	e.closeStandbys(true, "edge shutting down")
	e.sessions.stopAll("edge shutting down")
	var err error
	if g, ok := e.cfg.Runtime.(gameEnder); ok {
		// The edge's context ends first: a session whose game is ended
		// under it then rejoins elsewhere, as for any shutdown, rather
		// than tell its player that the game exited.
		e.tasks.cancel()
		err = g.Close()
	}
	e.tasks.close()
	if e.pool != nil {
		// Leaving tells the cluster at once, rather than after failure
		// detection: players are routed elsewhere straight away.
		e.pool.Leave(time.Second)
		e.pool.Close()
	}
	err = errors.Join(err, e.engine.Close(), e.closeJournal())
	if e.hw.close != nil {
		// After the tasks have ended: the GPU watch has stopped, and
		// every session has closed its encoder.
		err = errors.Join(err, e.hw.close())
	}
	return err
}

// closeJournal closes the usage journal, after the sessions have written
// their final records.
func (e *Edge) closeJournal() error {
	if e.journal == nil {
		return nil
	}
	return e.journal.Close()
}

// gpuModel names GPU index, for usage records.
func (e *Edge) gpuModel(index int) string {
	for _, g := range e.gpus.inventory().GPUs {
		if g.Index == index {
			return g.Name
		}
	}
	return ""
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Stop ends a session on request (the player left).
func (e *Edge) Stop(id string) error {
	if sb, ok := e.standbys.get(id); ok {
		e.dropStandby(sb, "player left")
		return nil
	}
	r, ok := e.sessions.get(id)
	if !ok {
		return api.Errorf(api.CodeNotFound, "no session %q", id)
	}
	r.stop(errors.New("player left"))
	return nil
}

// AddCandidate passes a player's trickled ICE candidate to their peer.
func (e *Edge) AddCandidate(id string, c api.Candidate) error {
	var peer *stream.Peer
	if sb, ok := e.standbys.get(id); ok {
		peer = sb.conn()
	} else if r, ok := e.sessions.get(id); ok {
		peer = r.peer
	}
	if peer == nil {
		return api.Errorf(api.CodeNotFound, "no session %q", id)
	}
	err := peer.AddCandidate(toICE(c))
	switch {
	case errors.Is(err, stream.ErrTooManyCandidates):
		// Rate limited, not a bad message: each candidate is well formed,
		// the player has used up the session's allowance, and the code
		// tells signaling and the page to stop sending.
		return api.Errorf(api.CodeRateLimited, "%v", err)
	case errors.Is(err, stream.ErrBadCandidate):
		return api.Errorf(api.CodeBadMessage, "%v", err)
	case errors.Is(err, stream.ErrClosed):
		return api.Errorf(api.CodeNotFound, "session %q has ended", id)
	}
	return err
}
