// Package edge is the edge node: it admits players up to its capacity, runs
// their sessions (title, encoder and WebRTC peer each), and serves the edge
// API (package edge/api) that signaling nodes call, plus health and metrics.
package edge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/edge/gpu"
	"stratus/encoder"
	"stratus/encoder/x264"
	"stratus/input"
	"stratus/session"
	"stratus/stream"
	"stratus/title"
)

// Edge is one edge node.
type Edge struct {
	cfg     Config
	log     *slog.Logger
	titles  *titles
	engine  *stream.Engine
	metrics *metrics
	started time.Time

	// hw is the machine's GPUs and encoders; encoders places each
	// session's encoder on them (gpus.go, encoders.go).
	hw       hardware
	encoders *encoders
	// gpuInv is the last reading of the GPUs, refreshed every
	// gpuRefreshEvery; nil until the first.
	gpuInv atomic.Pointer[gpu.Inventory]

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	stateKey []byte

	// Gossip membership, when configured (member.go).
	pool       *cluster.Pool
	publishNow chan struct{}

	mu       sync.Mutex
	sessions map[string]*running
	reserved int // slots taken by sessions being set up or running
	closed   bool
	draining bool
}

// running is one admitted session and its connection.
type running struct {
	id      string
	title   string
	started time.Time
	peer    *stream.Peer
	// enc is the session's encoder; its Name changes when a lost NVENC
	// session falls back to x264.
	enc   encoder.Video
	gpu   int // the GPU enc was opened on, -1 for software
	sess  atomic.Pointer[session.Session]
	state atomic.Value // stream.State
	grace *time.Timer  // guarded by Edge.mu
	// snapshot is the title's latest saved state, if it saves any.
	snapshot atomic.Pointer[[]byte]
	resumed  bool
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
		engine:   engine,
		started:  time.Now(),
		sessions: make(map[string]*running),
		hw:       hw,
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.stateKey = cfg.StateKey
	if len(e.stateKey) == 0 {
		e.stateKey = make([]byte, 32)
		rand.Read(e.stateKey)
	}
	e.metrics = newMetrics(e)
	e.encoders = newEncoders(cfg, hw, e.inventory, e.metrics.fallbacks.Inc, log)
	e.readGPUs()
	e.titles = newTitles(builtin, cfg.Runtime, cfg.TitlesDir, cfg.Region, e.inventory, log)
	if err := e.register(reg); err != nil {
		engine.Close()
		return nil, err
	}
	if err := e.join(); err != nil {
		engine.Close()
		return nil, err
	}
	if hw.gpus != nil {
		e.wg.Add(1)
		go e.refreshGPUs()
	}
	if e.pool != nil || len(cfg.CatalogURLs) > 0 {
		e.wg.Add(1)
		go e.syncCatalog()
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

// Close ends every session, waits for them, and closes the media sockets.
// Safe to call twice.
func (e *Edge) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	for _, r := range e.sessions {
		if s := r.sess.Load(); s != nil {
			s.Stop(errors.New("edge shutting down"))
		}
	}
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	if e.pool != nil {
		// Leaving tells the cluster at once, rather than after failure
		// detection: players are routed elsewhere straight away.
		e.pool.Leave(time.Second)
		e.pool.Close()
	}
	err := e.engine.Close()
	if e.hw.close != nil {
		// After wg.Wait: the GPU refresh has ended, and every session has
		// closed its encoder.
		err = errors.Join(err, e.hw.close())
	}
	return err
}

// reserve takes a slot, or reports the edge full.
func (e *Edge) reserve() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || e.draining {
		return api.Errorf(api.CodeDraining, "edge %s is draining", e.cfg.Name)
	}
	if c := e.capacity(); e.reserved >= c {
		e.metrics.refused.Inc()
		return api.Errorf(api.CodeEdgeFull, "edge %s is full (%d of %d sessions)", e.cfg.Name, e.reserved, c)
	}
	e.reserved++
	e.publish()
	return nil
}

func (e *Edge) release() {
	e.mu.Lock()
	e.reserved--
	e.mu.Unlock()
	e.publish()
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Start admits a player and starts their session; it returns the SDP answer.
func (e *Edge) Start(req api.CreateRequest) (api.CreateResponse, error) {
	if req.Title == "" || req.Offer == "" {
		return api.CreateResponse{}, api.Errorf(api.CodeBadMessage, "title and offer are required")
	}
	desc, err := e.titles.get(req.Title)
	if errors.Is(err, title.ErrUnknown) {
		return api.CreateResponse{}, api.Errorf(api.CodeUnknownTitle, "no title %q on this edge", req.Title)
	}
	if err != nil {
		return api.CreateResponse{}, api.Errorf(api.CodeUnknownTitle, "%v", err)
	}
	if err := e.reserve(); err != nil {
		return api.CreateResponse{}, err
	}
	r, answer, err := e.setUp(desc, req)
	if err != nil {
		e.release()
		if ae, ok := api.AsError(err); ok && ae.Code == api.CodeEdgeFull {
			// Slots were free but encoders were not (a GPU whose NVENC
			// would not open, software full): a refusal, not a failure.
			e.metrics.refused.Inc()
			e.log.Info("session refused", "title", req.Title, "why", ae.Message)
			return api.CreateResponse{}, ae
		}
		e.metrics.failed.Inc()
		e.log.Warn("session set-up failed", "title", req.Title, "err", err)
		if ae, ok := api.AsError(err); ok {
			return api.CreateResponse{}, ae
		}
		return api.CreateResponse{}, api.Errorf(api.CodeInternal, "%v", err)
	}
	e.wg.Add(1)
	go e.run(r)
	return api.CreateResponse{ID: r.id, Edge: e.cfg.Name, Region: e.cfg.Region, Answer: answer, Resumed: r.resumed}, nil
}

// setUp builds the title, encoder, peer and session of one player. On error
// it closes whatever it had built.
func (e *Edge) setUp(desc title.Descriptor, req api.CreateRequest) (_ *running, answer string, err error) {
	// r outlives a failed set-up inside the peer's callbacks, so it is never
	// reset to nil.
	r := &running{id: newID(), title: desc.ID, started: time.Now()}
	r.state.Store(stream.State(0))
	var closers []func() error
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
		}
	}()

	t, err := desc.New(title.Options{Session: r.id})
	if err != nil {
		return nil, "", fmt.Errorf("starting title: %w", err)
	}
	closers = append(closers, t.Close)
	if req.Resume != "" {
		// A token that does not check out costs the player their saved
		// state, not their game: the title starts afresh.
		if err := e.resume(t, desc.ID, req.Resume); err != nil {
			e.log.Warn("not resuming", "title", desc.ID, "err", err)
		} else {
			r.resumed = true
		}
	}
	info := t.Info()
	enc, g, err := e.encoders.Open(r.id, encoder.Config{
		Width: info.Width, Height: info.Height, FPS: info.FPS,
		Bitrate: e.cfg.Bitrate, Threads: e.cfg.EncoderThreads,
	})
	if err != nil {
		return nil, "", fmt.Errorf("opening encoder: %w", err)
	}
	r.enc, r.gpu = enc, g
	// Closers run last first: the slot is released after the encoder
	// has let go of its GPU.
	closers = append(closers, func() error { e.encoders.Release(r.id); return nil }, enc.Close)

	peer, err := e.engine.NewPeer(stream.PeerConfig{
		ID: r.id,
		OnKeyframeRequest: func() {
			if s := r.sess.Load(); s != nil {
				s.ForceIDR()
			}
		},
		OnBitrate: func(bps int) {
			if s := r.sess.Load(); s != nil {
				s.SetBitrate(bps)
			}
		},
		OnState: func(st stream.State) { e.peerState(r, st) },
	})
	if err != nil {
		return nil, "", fmt.Errorf("creating peer: %w", err)
	}
	r.peer = peer
	closers = append(closers, peer.Close)
	answer, err = peer.Answer(req.Offer)
	if err != nil {
		return nil, "", api.Errorf(api.CodeBadMessage, "offer: %v", err)
	}
	sess, err := session.New(session.Config{
		ID: r.id, Title: t, Encoder: enc, Sink: peer,
		IdleTimeout:   e.cfg.IdleTimeout,
		MaxDuration:   desc.SessionLimit,
		SnapshotEvery: e.cfg.SnapshotEvery,
		OnSnapshot: func(state []byte) {
			r.snapshot.Store(&state)
			peer.SendText(input.Control{Type: input.ControlSnapshot, Token: sealState(e.stateKey, desc.ID, time.Now(), state)}.Text())
		},
	}, e.log)
	if err != nil {
		return nil, "", err
	}
	r.sess.Store(sess)
	e.mu.Lock()
	e.sessions[r.id] = r
	e.mu.Unlock()
	return r, answer, nil
}

// run owns one session from start to end, then frees its slot.
func (e *Edge) run(r *running) {
	defer e.wg.Done()
	s := r.sess.Load()
	e.metrics.started.WithLabelValues(r.enc.Name()).Inc()
	if r.gpu >= 0 {
		e.log.Info("session started", "session", r.id, "title", r.title, "encoder", r.enc.Name(), "gpu", r.gpu)
	} else {
		e.log.Info("session started", "session", r.id, "title", r.title, "encoder", r.enc.Name())
	}
	if st := r.state.Load().(stream.State); st == stream.StateFailed || st == stream.StateClosed {
		s.Stop(errors.New("connection lost before the session started"))
	}
	go e.reportStats(r, s)
	err := s.Run(e.ctx)
	if tellsPlayer(err) && e.ctx.Err() == nil {
		e.tellEnded(r, err)
	}
	r.peer.Close()
	// Run has closed the encoder: its GPU slot is free.
	e.encoders.Release(r.id)
	e.mu.Lock()
	delete(e.sessions, r.id)
	if r.grace != nil {
		r.grace.Stop()
	}
	e.reserved--
	e.mu.Unlock()
	e.publish()
	st := s.Stats()
	e.metrics.ended(st)
	e.log.Info("session ended", "session", r.id, "title", r.title, "encoder", r.enc.Name(), "reason", err,
		"duration", time.Since(r.started).Round(time.Millisecond), "frames", st.Frames, "skipped", st.Skipped,
		"render_ms", st.RenderMs, "convert_ms", st.ConvertMs, "encode_ms", st.EncodeMs)
}

// peerState ends a session whose player has gone: at once when the
// connection failed or closed, after a grace period when it is disconnected
// (ICE may still recover).
func (e *Edge) peerState(r *running, st stream.State) {
	r.state.Store(st)
	e.mu.Lock()
	defer e.mu.Unlock()
	if r.grace != nil {
		r.grace.Stop()
		r.grace = nil
	}
	stop := func(reason string) {
		if s := r.sess.Load(); s != nil {
			s.Stop(errors.New(reason))
		}
	}
	switch st {
	case stream.StateFailed:
		stop("connection failed")
	case stream.StateClosed:
		stop("connection closed")
	case stream.StateDisconnected:
		r.grace = time.AfterFunc(e.cfg.DisconnectGrace, func() { stop("connection lost") })
	}
}

// Stop ends a session on request (the player left).
func (e *Edge) Stop(id string) error {
	e.mu.Lock()
	r, ok := e.sessions[id]
	e.mu.Unlock()
	if !ok {
		return api.Errorf(api.CodeNotFound, "no session %q", id)
	}
	if s := r.sess.Load(); s != nil {
		s.Stop(errors.New("player left"))
	}
	return nil
}

// AddCandidate passes a player's trickled ICE candidate to their peer.
func (e *Edge) AddCandidate(id string, c api.Candidate) error {
	e.mu.Lock()
	r, ok := e.sessions[id]
	e.mu.Unlock()
	if !ok {
		return api.Errorf(api.CodeNotFound, "no session %q", id)
	}
	return r.peer.AddCandidate(toICE(c))
}

// statsEvery is how often the edge tells the page its side of the session.
const statsEvery = time.Second

// reportStats sends the session's edge-side figures to the page until the
// session ends, for the stats overlay.
func (e *Edge) reportStats(r *running, s *session.Session) {
	t := time.NewTicker(statsEvery)
	defer t.Stop()
	for {
		select {
		case <-s.Done():
			return
		case <-t.C:
		}
		st, ps := s.Stats(), r.peer.Stats()
		msg := input.Control{Type: input.ControlStats, EdgeStats: &input.EdgeStats{
			Encoder: r.enc.Name(), FPS: st.FPS,
			EncodeMs: st.EncodeMs, RenderMs: st.RenderMs, ConvertMs: st.ConvertMs,
			BitrateKbps: st.BitrateBps / 1000, TargetKbps: float64(st.TargetBitrate) / 1000,
			RTTMs: float64(ps.RTT) / 1e6, LossPct: 100 * ps.FractionLost,
			Skipped: st.Skipped, Edge: e.cfg.Name, Region: e.cfg.Region,
		}}
		r.peer.SendText(msg.Text()) // dropped when the channel is not open
	}
}

// tellsPlayer says whether a session's end is news to its player: the game
// exited, a limit was reached. Otherwise the player left, the connection is
// gone, or the edge is going away, and the page rejoins elsewhere.
func tellsPlayer(err error) bool {
	return errors.Is(err, title.ErrEnded) || errors.Is(err, session.ErrIdle) || errors.Is(err, session.ErrTimeUp)
}

// endedWait bounds the wait for the page's channel to open, when the game
// ended before the player was connected (it exited at once); endedFlush
// bounds the wait for the message to leave before the connection closes.
const (
	endedWait  = 5 * time.Second
	endedFlush = 500 * time.Millisecond
)

// tellEnded sends the page why its session ended, so that it shows the
// reason instead of taking the closed connection for a failed edge.
func (e *Edge) tellEnded(r *running, reason error) {
	msg := input.Control{Type: input.ControlEnded, Reason: reason.Error()}.Text()
	deadline := time.Now().Add(endedWait)
	for {
		err := r.peer.SendText(msg)
		if err == nil {
			break
		}
		st := r.state.Load().(stream.State)
		if !errors.Is(err, stream.ErrNotOpen) || time.Now().After(deadline) || st == stream.StateFailed || st == stream.StateClosed {
			e.log.Info("could not tell the player the session ended", "session", r.id, "err", err)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.peer.Flush(endedFlush)
}

// resume restores a title from a resume token.
func (e *Edge) resume(t title.Title, titleID, token string) error {
	sn, ok := t.(title.Snapshotter)
	if !ok {
		return nil // nothing to restore; the title starts afresh
	}
	state, err := openState(e.stateKey, titleID, token, time.Now())
	if err != nil {
		return err
	}
	return sn.Restore(state)
}
