package edge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"stratus/edge/api"
	"stratus/input"
	"stratus/internal/panics"
	"stratus/stream"
	"stratus/title"
	"stratus/trust/resume"
)

// StartStandby admits a standby (standby.go) for a player of req.Title and
// answers its offer; nothing of the title is started. req.Resume is
// ignored: the page forwards its tokens on the standby's channel.
func (e *Edge) StartStandby(req api.CreateRequest) (api.CreateResponse, error) {
	if req.Title == "" || req.Offer == "" {
		return api.CreateResponse{}, api.Errorf(api.CodeBadMessage, "title and offer are required")
	}
	if len(req.Player) > api.MaxPlayerBytes {
		return api.CreateResponse{}, api.Errorf(api.CodeBadMessage, "player of %d bytes exceeds %d", len(req.Player), api.MaxPlayerBytes)
	}
	if _, err := e.titles.get(req.Title); err != nil {
		return api.CreateResponse{}, api.Errorf(api.CodeUnknownTitle, "no title %q on this edge", req.Title)
	}
	if err := stream.CheckOffer(req.Offer); err != nil {
		return api.CreateResponse{}, api.Errorf(api.CodeBadMessage, "offer: %v", err)
	}
	r := newRunning(newID(), req.Title)
	r.player = req.Player
	sb := &standby{id: r.id, title: req.Title, player: req.Player, r: r}
	if err := e.standbys.add(sb, e.admit.isDraining()); err != nil {
		e.metrics.standbysRefused.Inc()
		return api.CreateResponse{}, err
	}
	bp := e.answerPeer(r, req.Offer, sb)
	if bp.err != nil {
		e.standbys.remove(sb)
		return api.CreateResponse{}, bp.err
	}
	if !sb.setPeer(bp.peer, e.cfg.StandbyIdle, func() {
		e.tasks.start(func(context.Context) { e.dropStandby(sb, "idle") })
	}) {
		// Closed while it was answered: a drain or the edge's close.
		bp.peer.Close()
		return api.CreateResponse{}, api.Errorf(api.CodeDraining, "edge %s is draining", e.cfg.Name)
	}
	e.metrics.standbys.Inc()
	e.log.Info("standby admitted", "standby", sb.id, "title", sb.title)
	return api.CreateResponse{ID: r.id, Edge: e.cfg.Name, Region: e.cfg.Region, Answer: bp.answer}, nil
}

// standbyText applies one message of a standby's page. It runs on the
// channel's goroutine, so activation goes to a goroutine of the edge's.
func (e *Edge) standbyText(sb *standby, text string) {
	m, err := input.ParseStandby(text)
	if err != nil {
		e.log.Debug("bad standby message", "standby", sb.id, "err", err)
		return
	}
	switch m.Type {
	case input.StandbyState, input.StandbyKeep:
		if _, ok := e.standbys.get(sb.id); !ok {
			return // activated or closed: the session's snapshots rule now
		}
		sb.keep(e.checkToken(sb, m.Token), e.cfg.StandbyIdle)
	case input.StandbyActivate:
		sb.keep(e.checkToken(sb, m.Token), e.cfg.StandbyIdle)
		if !e.standbys.remove(sb) {
			// Activated already, or closed: one activation per standby.
			e.refuseStandby(sb, "not a standby (activated already, or closed)")
			return
		}
		sb.stopIdle()
		if !e.tasks.start(func(ctx context.Context) { e.activate(ctx, sb) }) {
			e.refuseStandby(sb, "edge "+e.cfg.Name+" is shutting down")
			sb.close()
		}
	}
}

// checkToken returns token when it is a resume token of the standby's
// title that this edge can open, and "" otherwise: a page's garbage must
// not replace the good token it sent before. Whether it was spent is
// judged at activation, as for a join.
func (e *Edge) checkToken(sb *standby, token string) string {
	if token == "" {
		return ""
	}
	if _, err := resume.Open(e.stateKey, sb.title, token, time.Now()); err != nil {
		e.log.Debug("standby token refused", "standby", sb.id, "err", err)
		return ""
	}
	return token
}

// refuseStandby tells the page its activation was refused, so that it
// rejoins at once rather than wait for video that will not come.
func (e *Edge) refuseStandby(sb *standby, why string) {
	e.metrics.activationsRefused.Inc()
	e.log.Info("standby activation refused", "standby", sb.id, "why", why)
	if p := sb.conn(); p != nil {
		p.SendText(input.Control{Type: input.ControlRefused, Reason: why}.Text())
	}
}

// activate turns sb, out of the room, into a played session: it takes a
// slot, starts the title and the encoder (at once, as a join does), resumes
// the game from the latest token, tells the page, and runs the session to
// its end. Whatever fails, the page is told and the connection closed; it
// then rejoins as it would have without a standby.
func (e *Edge) activate(ctx context.Context, sb *standby) {
	start := time.Now()
	r := sb.r
	if err := e.admit.reserve(); err != nil {
		e.refuseStandby(sb, err.Error())
		r.peer.Flush(endedFlush)
		sb.close()
		return
	}
	e.publish()
	if err := e.build(sb); err != nil {
		e.admit.release()
		e.publish()
		e.metrics.failed.Inc()
		e.refuseStandby(sb, err.Error())
		r.peer.Flush(endedFlush)
		sb.close()
		return
	}
	e.metrics.activations.Inc()
	e.log.Info("standby activated", "session", r.id, "title", r.title, "resumed", r.resumed,
		"took_ms", millis(time.Since(start)))
	r.peer.SendText(input.Control{Type: input.ControlActivated, Resumed: r.resumed}.Text())
	// The new encoder's first picture is an IDR; this one covers a
	// keyframe request that reached the peer before the session existed.
	r.sess.Load().ForceIDR()
	e.run(ctx, r)
}

// build starts sb's title and encoder and assembles the session over the
// standby's connection. On error it closes what it built.
func (e *Edge) build(sb *standby) (err error) {
	r := sb.r
	desc, err := e.titles.get(sb.title)
	if errors.Is(err, title.ErrUnknown) {
		return fmt.Errorf("no title %q on this edge any more", sb.title)
	}
	if err != nil {
		return err
	}
	var (
		t  title.Title
		be builtEncoder
	)
	defer func() {
		if pe := panics.From(recover()); pe != nil {
			pe.Log(e.log, "standby activation panicked", "session", r.id, "title", desc.ID)
			err = pe
		}
		if err == nil {
			return
		}
		if be.enc != nil {
			be.close()
		}
		if t != nil {
			t.Close()
		}
	}()
	encoded := make(chan builtEncoder, 1)
	go func() { encoded <- e.openEncoder(r.id, desc.Width, desc.Height, desc.FPS) }()
	t, titleErr := newTitle(desc, r.id)
	be = <-encoded
	switch {
	case titleErr != nil:
		return fmt.Errorf("starting title: %w", titleErr)
	case be.err != nil:
		return fmt.Errorf("opening encoder: %w", be.err)
	}
	// The played session starts now: usage and the session's duration
	// count from the activation, not from when the standby was admitted.
	r.started = time.Now()
	return e.assemble(r, desc, t, &be, sb.latest())
}

// dropStandby closes sb if it is still a standby, saying why.
func (e *Edge) dropStandby(sb *standby, why string) {
	if !e.standbys.remove(sb) {
		return
	}
	e.log.Info("standby closed", "standby", sb.id, "why", why)
	sb.close()
}

// closeStandbys closes every standby; stop refuses later ones for good
// (the edge closes), otherwise a drain refuses them through admission.
func (e *Edge) closeStandbys(stop bool, why string) {
	for _, sb := range e.standbys.closeAll(stop) {
		e.log.Info("standby closed", "standby", sb.id, "why", why)
		sb.close()
	}
}
