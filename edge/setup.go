package edge

import (
	"context"
	"fmt"
	"time"

	"stratus/edge/api"
	"stratus/encoder"
	"stratus/internal/panics"
	"stratus/session"
	"stratus/stream"
	"stratus/title"
)

// setUp builds the title, encoder and peer of one player and the session
// over them, and registers it. The three do not wait on each other, so
// they are built at once: the encoder (x264's threads and lookahead, or an
// NVENC session) and the peer (its ICE agent and answer) on goroutines of
// their own, the title on this one. A join, and a failover, then wait for
// the slowest of the three instead of their sum (the debug line "session
// set up" gives each). The encoder is opened for the size the catalog
// gives the title, and again in the rare case its instance reports
// another. An NVENC placement made beside a GPU-rendering title's start
// may not yet count the memory that title reserves; NVENC that then fails
// to open falls back to x264 (encoders.Open). On error setUp closes
// whatever was built.
func (e *Edge) setUp(desc title.Descriptor, req api.CreateRequest) (_ *running, answer string, err error) {
	// The offer is checked before anything is started for it: a garbage
	// offer must not cost a game process or an encoder.
	if err := stream.CheckOffer(req.Offer); err != nil {
		return nil, "", api.Errorf(api.CodeBadMessage, "offer: %v", err)
	}
	// r outlives a failed set-up inside the peer's callbacks, so it is never
	// reset to nil.
	r := newRunning(newID(), desc.ID)
	r.player = req.Player
	var (
		t  title.Title
		be builtEncoder
		bp builtPeer
	)
	defer func() {
		if err == nil {
			return
		}
		// The peer first, then the encoder and its GPU slot, then the
		// title: the reverse of what uses what.
		if bp.peer != nil {
			bp.peer.Close()
		}
		if be.enc != nil {
			be.close()
		}
		if t != nil {
			t.Close()
		}
	}()
	// Runs before the closing: a panic (in session.New, say) becomes the
	// error that closes what was built, and Start gives the slot back.
	defer func() {
		if pe := panics.From(recover()); pe != nil {
			pe.Log(e.log, "session set-up panicked", "session", r.id, "title", desc.ID)
			err = pe
		}
	}()

	start := time.Now()
	encoded := make(chan builtEncoder, 1)
	go func() { encoded <- e.openEncoder(r.id, desc.Width, desc.Height, desc.FPS) }()
	answered := make(chan builtPeer, 1)
	go func() { answered <- e.answerPeer(r, req.Offer, nil) }()
	t, titleErr := newTitle(desc, r.id)
	titleAt := time.Since(start)
	// Both are awaited whatever became of the title, so that nothing
	// built is left open.
	be, bp = <-encoded, <-answered
	switch {
	case titleErr != nil:
		return nil, "", fmt.Errorf("starting title: %w", titleErr)
	case be.err != nil:
		return nil, "", fmt.Errorf("opening encoder: %w", be.err)
	case bp.err != nil:
		return nil, "", bp.err
	}
	r.peer, answer = bp.peer, bp.answer
	if err := e.assemble(r, desc, t, &be, req.Resume); err != nil {
		return nil, "", err
	}
	e.log.Debug("session set up", "session", r.id, "title_ms", millis(titleAt), "encoder_ms", millis(be.took),
		"answer_ms", millis(bp.took), "total_ms", millis(time.Since(start)))
	return r, answer, nil
}

// assemble makes the session of r, whose peer is set, over title t and
// encoder be (reopened for the size the title reports, when the catalog
// said another), resuming from token when it checks out, and registers
// it. On error what be holds is the caller's to close.
func (e *Edge) assemble(r *running, desc title.Descriptor, t title.Title, be *builtEncoder, token string) error {
	if token != "" {
		// A token that does not check out costs the player their saved
		// state, not their game: the title starts afresh.
		if err := e.resume(r, t, desc.ID, token); err != nil {
			e.log.Warn("not resuming", "title", desc.ID, "err", err)
		} else {
			r.resumed = true
		}
	}
	info := t.Info()
	r.renderer = info.Renderer
	if info.Width != desc.Width || info.Height != desc.Height || info.FPS != desc.FPS {
		be.close()
		if *be = e.openEncoder(r.id, info.Width, info.Height, info.FPS); be.err != nil {
			return fmt.Errorf("opening encoder: %w", be.err)
		}
	}
	r.enc, r.gpu = be.enc, be.gpu
	sess, err := session.New(session.Config{
		ID: r.id, Title: t, Encoder: be.enc, Sink: r.peer,
		IdleTimeout:   e.cfg.IdleTimeout,
		MaxDuration:   desc.SessionLimit,
		Keep:          desc.Keep,
		SnapshotEvery: e.cfg.SnapshotEvery,
		StallAfter:    e.cfg.StallAfter,
		MaxFPS:        e.cfg.Misbehave.maxFPS(),
		OnLeftBehind:  func(d int) { e.metrics.leftBehind.Add(float64(d)) },
		OnSnapshot: func(state []byte) {
			r.snapshot.Store(&state)
			e.page.snapshot(r, state)
		},
	}, e.log)
	if err != nil {
		return err
	}
	r.sess.Store(sess)
	e.sessions.add(r)
	if e.usage != nil {
		e.usage.start(r)
	}
	return nil
}

// newTitle starts an instance of desc; a panic in its constructor is an
// error like any other.
func newTitle(desc title.Descriptor, session string) (t title.Title, err error) {
	defer func() {
		if pe := panics.From(recover()); pe != nil {
			err = pe
		}
	}()
	return desc.New(title.Options{Session: session})
}

// builtEncoder is what openEncoder built, and how long it took.
type builtEncoder struct {
	enc  encoder.Video
	gpu  int
	took time.Duration
	err  error

	release func()
}

// close closes the encoder, then gives its GPU slot back, once the
// encoder has let go of the GPU.
func (b builtEncoder) close() {
	b.enc.Close()
	b.release()
}

// openEncoder opens session id's encoder for the given size and rate.
func (e *Edge) openEncoder(id string, w, h, fps int) (b builtEncoder) {
	start := time.Now()
	defer func() {
		if pe := panics.From(recover()); pe != nil {
			b = builtEncoder{err: pe}
		}
		b.took = time.Since(start)
	}()
	enc, g, err := e.encoders.Open(id, encoder.Config{
		Width: w, Height: h, FPS: fps,
		Bitrate: e.cfg.Bitrate, Threads: e.cfg.EncoderThreads,
	})
	if err != nil {
		return builtEncoder{err: err}
	}
	return builtEncoder{enc: enc, gpu: g, release: func() { e.encoders.Release(id) }}
}

// builtPeer is the player's connection and its answer to their offer.
type builtPeer struct {
	peer   *stream.Peer
	answer string
	took   time.Duration
	err    error
}

// answerPeer creates r's connection and answers offer. Its callbacks find
// the session through r once it exists. sb, when set, is the standby the
// connection is for: its page's text messages go to it, and it closes when
// the connection does.
func (e *Edge) answerPeer(r *running, offer string, sb *standby) (b builtPeer) {
	start := time.Now()
	defer func() {
		if pe := panics.From(recover()); pe != nil {
			if b.peer != nil {
				b.peer.Close()
			}
			b = builtPeer{err: pe}
		}
		b.took = time.Since(start)
	}()
	cfg := stream.PeerConfig{
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
		OnState: func(st stream.State) { r.peerState(st, e.cfg.DisconnectGrace) },
	}
	if sb != nil {
		cfg.OnText = func(msg string) { e.standbyText(sb, msg) }
		cfg.OnState = func(st stream.State) {
			r.peerState(st, e.cfg.DisconnectGrace)
			if st == stream.StateFailed || st == stream.StateClosed {
				// Not from here: a callback must not close its peer.
				e.tasks.start(func(context.Context) { e.dropStandby(sb, "connection "+st.String()) })
			}
		}
	}
	peer, err := e.engine.NewPeer(cfg)
	if err != nil {
		return builtPeer{err: fmt.Errorf("creating peer: %w", err)}
	}
	answer, err := peer.Answer(offer)
	if err != nil {
		peer.Close()
		return builtPeer{err: api.Errorf(api.CodeBadMessage, "offer: %v", err)}
	}
	return builtPeer{peer: peer, answer: answer}
}

// millis is d in milliseconds, to a tenth, for logs.
func millis(d time.Duration) float64 { return float64(d.Round(100*time.Microsecond)) / 1e6 }
