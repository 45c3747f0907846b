package edge

import (
	"context"
	"errors"
	"time"

	"stratus/edge/api"
	"stratus/internal/panics"
	"stratus/session"
	"stratus/stream"
	"stratus/title"
	"stratus/trust/resume"
)

// A session's life: Start takes a slot from admission, setUp builds the
// title, encoder and peer and registers the session, and run drives it to
// its end, then unregisters it and gives the slot back.

// Start admits a player and starts their session; it returns the SDP answer.
func (e *Edge) Start(req api.CreateRequest) (api.CreateResponse, error) {
	if req.Title == "" || req.Offer == "" {
		return api.CreateResponse{}, api.Errorf(api.CodeBadMessage, "title and offer are required")
	}
	if len(req.Player) > api.MaxPlayerBytes {
		return api.CreateResponse{}, api.Errorf(api.CodeBadMessage, "player of %d bytes exceeds %d", len(req.Player), api.MaxPlayerBytes)
	}
	desc, err := e.titles.get(req.Title)
	if errors.Is(err, title.ErrUnknown) {
		return api.CreateResponse{}, api.Errorf(api.CodeUnknownTitle, "no title %q on this edge", req.Title)
	}
	if err != nil {
		return api.CreateResponse{}, api.Errorf(api.CodeUnknownTitle, "%v", err)
	}
	if e.cfg.Misbehave == MisbehaveRefuse {
		// The test hook's lie: full, whatever gossip says.
		e.metrics.refused.Inc()
		return api.CreateResponse{}, api.Errorf(api.CodeEdgeFull, "edge %s is full", e.cfg.Name)
	}
	if err := e.admit.reserve(); err != nil {
		if ae, ok := api.AsError(err); ok && ae.Code == api.CodeEdgeFull {
			e.metrics.refused.Inc()
		}
		return api.CreateResponse{}, err
	}
	e.publish()
	r, answer, err := e.setUp(desc, req)
	if err != nil {
		e.admit.release()
		e.publish()
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
	if !e.tasks.start(func(ctx context.Context) { e.run(ctx, r) }) {
		// The edge closed while this session was set up: it ends at once,
		// as Close ended the others, here rather than in a goroutine.
		e.run(e.tasks.ctx, r)
	}
	return api.CreateResponse{ID: r.id, Edge: e.cfg.Name, Region: e.cfg.Region, Answer: answer, Resumed: r.resumed}, nil
}

// run drives one session from start to end, until ctx (the edge's) ends at
// the latest, then frees its slot. A panic anywhere in it ends this session
// only, logged with its stack; the slot is freed as for any other end.
func (e *Edge) run(ctx context.Context, r *running) {
	s := r.sess.Load()
	err := e.play(ctx, r, s)
	e.finish(ctx, r, s, err)
}

// play runs the session and its stats reporter until both have ended.
func (e *Edge) play(ctx context.Context, r *running, s *session.Session) (err error) {
	ran := false
	defer func() {
		if pe := panics.From(recover()); pe != nil {
			pe.Log(e.log, "session panicked", "session", r.id, "title", r.title)
			err = pe
			if !ran {
				// Run closes the title and encoder, even when stopped
				// before its first frame.
				s.Stop(pe)
				s.Run(ctx)
			}
		}
	}()
	e.metrics.started.WithLabelValues(r.enc.Name()).Inc()
	if r.gpu >= 0 {
		e.log.Info("session started", "session", r.id, "title", r.title, "encoder", r.enc.Name(), "gpu", r.gpu)
	} else {
		e.log.Info("session started", "session", r.id, "title", r.title, "encoder", r.enc.Name())
	}
	if st := r.connState(); st == stream.StateFailed || st == stream.StateClosed {
		s.Stop(errors.New("connection lost before the session started"))
	}
	// The stats reporter ends with the session, and is waited for so that
	// it sends nothing on a closed peer. If it panics, the session ends.
	reported := make(chan struct{})
	go func() {
		defer close(reported)
		defer func() {
			if pe := panics.From(recover()); pe != nil {
				pe.Log(e.log, "stats reporter panicked", "session", r.id, "title", r.title)
				s.Stop(pe)
			}
		}()
		e.page.reportStats(r, s)
	}()
	ran = true
	err = s.Run(ctx)
	<-reported
	return err
}

// finish tells the player why their session ended, when that is news to
// them, and frees what the session held. The slot is freed even if telling
// or counting panics.
func (e *Edge) finish(ctx context.Context, r *running, s *session.Session, err error) {
	defer func() {
		if pe := panics.From(recover()); pe != nil {
			pe.Log(e.log, "ending a session panicked", "session", r.id, "title", r.title)
		}
	}()
	defer e.free(r)
	if tellsPlayer(err) && ctx.Err() == nil {
		e.page.ended(r, err)
	}
	if pe := (*panics.Error)(nil); errors.As(err, &pe) || r.peer.Stats().Panics > 0 {
		e.metrics.panicked.Inc()
	}
	if se := (*session.StallError)(nil); errors.As(err, &se) {
		e.metrics.stalled.Inc()
		e.log.Warn("session stalled", "session", r.id, "title", r.title, "stage", se.Stage.String(), "deadline", se.Deadline)
	}
	if e.usage != nil {
		if err := e.usage.end(r); err != nil {
			e.log.Error("usage: the session's final record was not written", "session", r.id, "err", err)
		}
	}
	st, ps := s.Stats(), r.peer.Stats()
	e.metrics.ended(st)
	e.log.Info("session ended", "session", r.id, "title", r.title, "encoder", r.enc.Name(), "reason", err,
		"duration", time.Since(r.started).Round(time.Millisecond), "frames", st.Frames, "skipped", st.Skipped,
		"render_ms", st.RenderMs, "convert_ms", st.ConvertMs, "encode_ms", st.EncodeMs,
		"nacks", ps.NACKs, "retransmits", ps.Retransmits, "fec_packets", ps.FECPackets,
		"fec_used", st.FECUsed, "freezes", st.Freezes, "freeze_ms", st.FreezeMs, "longest_freeze_ms", st.LongestFreezeMs,
		"rung", st.Rung, "rung_changes", st.RungChanges, "target_bitrate", st.TargetBitrate)
}

// free closes the session's connection and gives back its encoder and slot.
func (e *Edge) free(r *running) {
	r.peer.Close()
	// Run has closed the encoder: its GPU slot is free. After a stall the
	// encoder may still be held by the call left behind, and is closed
	// when that returns; the slot is given back now all the same, as a
	// call that never returns must not take the GPU's share with it
	// (stalled_calls_left_behind counts them).
	e.encoders.Release(r.id)
	e.sessions.remove(r.id)
	r.stopGrace()
	e.admit.release()
	e.publish()
}

// tellsPlayer says whether a session's end is news to its player: the game
// exited or stopped responding, a limit was reached. Otherwise the player left, the connection is
// gone, or the edge is going away, and the page rejoins elsewhere.
func tellsPlayer(err error) bool {
	return errors.Is(err, title.ErrEnded) || errors.Is(err, session.ErrIdle) || errors.Is(err, session.ErrTimeUp) ||
		errors.Is(err, session.ErrStalled)
}

// resume restores a title from a resume token, once: r carries the
// token's lineage on, and the token is spent (package trust/resume).
func (e *Edge) resume(r *running, t title.Title, titleID, token string) error {
	sn, ok := t.(title.Snapshotter)
	if !ok {
		return nil // nothing to restore; the title starts afresh
	}
	now := time.Now()
	tok, err := resume.Open(e.stateKey, titleID, token, now)
	if err != nil {
		return err
	}
	if err := e.spent.Take(tok, now, r.connected.Load); err != nil {
		return err
	}
	r.lineage = tok.Lineage
	r.seq.Store(tok.Seq)
	return sn.Restore(tok.State)
}
