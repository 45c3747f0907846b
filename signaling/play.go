package signaling

import (
	"context"
	"errors"
	"fmt"
	"time"

	"stratus/edge/api"
	"stratus/signaling/playerauth"
	"stratus/signaling/route"
)

// play is the session goroutine of a connection (see conn): it applies the
// player's messages one at a time, in the order they were sent, so that a
// candidate sent before the join was answered reaches the session the join
// starts, and a leave sent during a join ends that session as soon as it
// exists. When the reader stops or the server closes, it finishes the
// message in hand and applies no more.
func (c *conn) play() {
	defer close(c.playDone)
	// A player whose page went away leaves; but when this node is shutting
	// down its players stay: their pages reconnect to another node and
	// play on.
	defer func() {
		if !c.s.closing.Load() {
			c.leave()
		}
	}()
	for {
		if m := c.deferred; m != nil {
			// A join that ended a wait in line comes before what the
			// player sent after it.
			c.deferred = nil
			c.apply(*m)
			continue
		}
		select {
		case <-c.readDone:
			return
		case <-c.ctx.Done():
			return
		case m := <-c.ops:
			if c.stopped() {
				// The player is gone: what it asked for last is moot.
				return
			}
			c.apply(m)
		}
	}
}

// stopped says whether the reader has stopped or the server closed.
func (c *conn) stopped() bool {
	select {
	case <-c.readDone:
		return true
	case <-c.ctx.Done():
		return true
	default:
		return false
	}
}

func (c *conn) apply(m Message) {
	switch m.Type {
	case TypeTitles:
		c.titles()
	case TypeJoin:
		if m.Standby {
			c.joinStandby(m)
			return
		}
		c.join(m)
	case TypeCandidate:
		if m.Standby {
			c.standbyCandidate(m)
			return
		}
		c.candidate(m)
	case TypeActivate:
		c.activate(m)
	case TypeLeave:
		if m.Standby {
			c.dropStandby()
			return
		}
		c.leave()
	}
}

// titles answers with the titles offered by the edges this node knows,
// as the first edge offering each describes it.
func (c *conn) titles() {
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.JoinTimeout)
	defer cancel()
	list, err := c.s.fanout.titles(ctx)
	if err != nil {
		c.sendError(err)
		return
	}
	c.send(Message{Type: TypeTitles, Titles: list})
}

// join places the player on the best edge that admits them, ending the
// session they had. When every edge offering the title is full, the
// player waits in line for room (waitForRoom).
func (c *conn) join(m Message) {
	// Leaving first gives the socket's slot back: a rejoin on the same
	// socket (failover, a move) is not a second session.
	c.leave()
	c.candidates, c.overCandidates, c.held = 0, false, nil
	// The join is counted before the sign-in is checked: a check costs a
	// signature and may cost a fetch of the provider's keys, and its
	// failures are logged, so the address's joins bound both.
	if le := c.s.clients.takeJoin(c.client); le != nil {
		c.refuseOverLimit(le, m.Title)
		return
	}
	who, pe := c.identify(m.Token)
	if pe != nil {
		c.s.metrics.joins.WithLabelValues(pe.Code).Inc()
		c.sendError(pe)
		return
	}
	if le := c.s.clients.holdSession(who); le != nil {
		c.refuseOverLimit(le, m.Title)
		return
	}
	c.slot, c.player = true, who
	c.send(Message{Type: TypeStatus, Stage: "routing", Message: "finding the nearest edge"})
	req := c.s.choice.request(m.Title, m.RTT, m.Exclude)
	token, spent := c.spendResume(m.Title, m.Resume)
	create := api.CreateRequest{Offer: m.SDP, Resume: token, Player: who.subject}
	starting := func(edge string) {
		c.send(Message{Type: TypeStatus, Stage: "starting", Edge: edge, Message: "starting " + m.Title + " on " + edge})
	}
	var (
		p     placement
		d     route.Decision
		err   error
		tried bool
	)
	queueing := c.s.cfg.Queue.PerTitle > 0
	if queueing && c.s.queue.waiting(m.Title) > 0 {
		// Those already in line come first: a slot freed now is the
		// head's.
		err = api.Errorf(api.CodeEdgeFull, "players are waiting for %s", m.Title)
	} else {
		p, d, err = c.place(req, create, starting)
		tried = true
	}
	if queueing && isFull(err) {
		p, d, err = c.waitForRoom(m.Title, req, create, tried)
		if errors.Is(err, errLeftLine) {
			c.releaseSlot()
			return
		}
		if err == nil {
			starting(p.resp.Edge)
		}
	}
	if err != nil {
		code := api.CodeInternal
		if ae, ok := api.AsError(err); ok {
			code = ae.Code
		}
		c.s.metrics.joins.WithLabelValues(code).Inc()
		c.log.Info("join refused", "title", m.Title, "err", err, "why", d.Why)
		c.releaseSlot()
		c.sendError(err)
		return
	}
	c.session, c.edge, c.edgeName, c.title = p.resp.ID, p.client, p.resp.Edge, m.Title
	spent()
	c.s.metrics.joins.WithLabelValues("ok").Inc()
	c.log.Info("player joined", "session", p.resp.ID, "title", m.Title, "edge", p.resp.Edge, "region", p.resp.Region,
		"why", d.Why, "resumed", m.Resume != "", "excluded", m.Exclude, "player", who.subject)
	c.send(Message{Type: TypeJoined, Session: p.resp.ID, Edge: p.resp.Edge, Region: p.resp.Region, SDP: p.resp.Answer,
		ICEServers: c.s.cfg.TURN.iceServers(p.resp.Region, p.resp.ID, time.Now())})
	c.relayHeld()
}

// place asks the placer for a session, within the join's time.
func (c *conn) place(req route.Request, create api.CreateRequest, status func(edge string)) (placement, route.Decision, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.JoinTimeout)
	defer cancel()
	return c.s.placer.place(ctx, req, create, status)
}

// isFull says whether err refuses a join only for want of room: waiting
// may help, as it would not for an unknown title or no edge at all.
func isFull(err error) bool {
	ae, ok := api.AsError(err)
	return ok && ae.Code == api.CodeEdgeFull
}

// refuseOverLimit answers a join that a limit refuses, counting it where
// the operator watches.
func (c *conn) refuseOverLimit(le *limitError, title string) {
	c.s.metrics.joins.WithLabelValues(api.CodeRateLimited).Inc()
	c.s.metrics.limited.WithLabelValues(le.limit).Inc()
	c.log.Warn("join refused: over a limit", "limit", le.limit, "title", title)
	c.sendError(&ProtocolError{Code: api.CodeRateLimited, Msg: le.msg})
}

// identify says who joins: the address, while players are anonymous;
// otherwise the subject of the sign-in token the join carries.
func (c *conn) identify(token string) (player, *ProtocolError) {
	if c.s.players == nil {
		return player{ip: c.client.ip}, nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.JoinTimeout)
	defer cancel()
	sub, err := c.s.players.Verify(ctx, token)
	if err == nil {
		return player{subject: sub}, nil
	}
	// The error says what was wrong with the token, never the token.
	ae := &playerauth.Error{Reason: playerauth.Malformed, Err: err}
	errors.As(err, &ae)
	switch ae.Reason {
	case playerauth.KeysUnavailable:
		c.log.Error("join refused: sign-in cannot be checked", "err", err)
		return player{}, &ProtocolError{Code: api.CodeInternal, Msg: "signing in cannot be checked right now; try again in a moment"}
	case playerauth.Missing:
		c.log.Info("join refused: no sign-in")
		return player{}, &ProtocolError{Code: api.CodeUnauthorized, Msg: "sign in to play: this service admits signed-in players only"}
	default:
		c.log.Info("join refused: sign-in", "reason", ae.Reason, "err", err)
		return player{}, &ProtocolError{Code: api.CodeUnauthorized, Msg: fmt.Sprintf("your sign-in was refused (token %s); sign in again", ae.Reason)}
	}
}

// candidate passes the player's ICE candidate on to their session's edge,
// or keeps it for the session a join waiting in line will start.
func (c *conn) candidate(m Message) {
	if c.session == "" && !c.inLine {
		c.sendError(&ProtocolError{Code: api.CodeNotJoined, Msg: "candidate before join"})
		return
	}
	if c.candidates >= c.s.cfg.Limits.CandidatesPerSession {
		// Told once; the rest are dropped, so that a flood costs the
		// player's own socket only.
		if !c.overCandidates {
			c.overCandidates = true
			c.s.metrics.limited.WithLabelValues("candidates").Inc()
			c.log.Warn("candidates refused: over the limit", "session", c.session, "limit", c.s.cfg.Limits.CandidatesPerSession)
			c.sendError(&ProtocolError{Code: api.CodeRateLimited, Msg: fmt.Sprintf("more than %d candidates for one session", c.s.cfg.Limits.CandidatesPerSession)})
		}
		return
	}
	c.candidates++
	cand := api.Candidate{Candidate: m.Candidate.Candidate, SDPMid: m.Candidate.SDPMid, SDPMLineIndex: m.Candidate.SDPMLineIndex}
	if c.session == "" {
		// Bounded by the count above.
		c.held = append(c.held, cand)
		return
	}
	c.relay(cand)
}

// relayHeld passes on the candidates kept while the join waited in line.
func (c *conn) relayHeld() {
	held := c.held
	c.held = nil
	for _, cand := range held {
		c.relay(cand)
	}
}

func (c *conn) relay(cand api.Candidate) {
	ctx, cancel := context.WithTimeout(c.ctx, writeWait)
	defer cancel()
	if err := c.edge.AddCandidate(ctx, c.session, cand); err != nil {
		c.log.Debug("candidate not delivered", "err", err)
	}
}

// leave ends the player's session on its edge, if any. It does not wait
// for the edge: a player rejoining after their edge died must not wait on
// the dead edge's answer. The connection waits for it before it ends.
func (c *conn) leave() {
	c.releaseSlot()
	c.dropStandby()
	if c.session == "" {
		return
	}
	id, edge := c.session, c.edge
	c.session, c.edge = "", nil
	c.ending.Go(func() {
		ctx, cancel := context.WithTimeout(c.ctx, writeWait)
		defer cancel()
		if err := edge.DeleteSession(ctx, id); err != nil {
			c.log.Debug("ending session", "session", id, "err", err)
		}
		// Its slot is free: whoever waits longest may take it, without
		// waiting for gossip to say so.
		c.s.queue.roomMayBe()
	})
}

// releaseSlot gives the player's session slot back, if the connection
// holds one.
func (c *conn) releaseSlot() {
	if c.slot {
		c.slot = false
		c.s.clients.endSession(c.player)
	}
}
