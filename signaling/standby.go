package signaling

import (
	"context"
	"errors"
	"time"

	"stratus/edge/api"
)

// Standbys. A page that plays may hold a warm standby on the next-best
// edge (package edge explains what an edge holds for one): a second
// connection, answered and connected, with no game on it until the page
// activates it when the serving edge dies. This node routes a standby's
// join as it routes a join, with the serving edge excluded, on the edge's
// /v1/standbys (its ticket names that path, so a ticket for one cannot
// serve the other), relays its SDP and candidates, and on activate makes
// it the connection's session.
//
// Limits: one standby per connection, held only while the connection has
// a session, so a player has at most one per session they hold
// (Limits.SessionsPerPlayer); the standby takes none of those slots. A
// standby ends with its session: a leave, a new join (a rejoin) or the
// socket's end ends it on its edge.

// standbyConn is a connection's standby. Only the session goroutine uses
// it.
type standbyConn struct {
	id         string
	edge       *api.Client
	name       string // the edge's
	candidates int    // relayed, against Limits.CandidatesPerSession
}

// joinStandby places the session's standby.
func (c *conn) joinStandby(m Message) {
	switch {
	case c.session == "":
		c.sendStandbyError(&ProtocolError{Code: api.CodeNotJoined, Msg: "standby before join"})
		return
	case c.sb.id != "":
		c.s.metrics.limited.WithLabelValues("standbys").Inc()
		c.sendStandbyError(&ProtocolError{Code: api.CodeRateLimited, Msg: "one standby per session"})
		return
	case m.Title != c.title:
		c.sendStandbyError(badMessage("standby for %q, but the session plays %q", m.Title, c.title))
		return
	}
	req := c.s.choice.request(c.title, m.RTT, append(m.Exclude, c.edgeName))
	create := api.CreateRequest{Offer: m.SDP, Player: c.player.subject}
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.JoinTimeout)
	p, d, err := c.s.placer.placeStandby(ctx, req, create)
	cancel()
	if err != nil {
		c.log.Info("standby refused", "title", c.title, "err", err, "why", d.Why)
		c.sendStandbyError(err)
		return
	}
	c.sb = standbyConn{id: p.resp.ID, edge: p.client, name: p.resp.Edge}
	c.log.Info("standby placed", "standby", p.resp.ID, "title", c.title, "edge", p.resp.Edge, "serving", c.edgeName, "why", d.Why)
	c.send(Message{Type: TypeJoined, Standby: true, Session: p.resp.ID, Edge: p.resp.Edge, Region: p.resp.Region, SDP: p.resp.Answer,
		ICEServers: c.s.cfg.TURN.iceServers(p.resp.Region, p.resp.ID, time.Now())})
}

// standbyCandidate passes the page's ICE candidate on to its standby.
func (c *conn) standbyCandidate(m Message) {
	if c.sb.id == "" {
		return // a standby refused or ended: its late candidates are moot
	}
	if c.sb.candidates >= c.s.cfg.Limits.CandidatesPerSession {
		return
	}
	c.sb.candidates++
	cand := api.Candidate{Candidate: m.Candidate.Candidate, SDPMid: m.Candidate.SDPMid, SDPMLineIndex: m.Candidate.SDPMLineIndex}
	ctx, cancel := context.WithTimeout(c.ctx, writeWait)
	defer cancel()
	if err := c.sb.edge.AddCandidate(ctx, c.sb.id, cand); err != nil {
		c.log.Debug("standby candidate not delivered", "err", err)
	}
}

// activate makes the standby the connection's session, once the page
// activated it on its edge: the old session is ended on its (likely dead)
// edge without waiting, the player keeps their one slot, and routing
// counts the player on the new edge until gossip does.
func (c *conn) activate(m Message) {
	if c.sb.id == "" || m.Session != c.sb.id {
		c.sendStandbyError(&ProtocolError{Code: api.CodeForbidden, Msg: "no such standby on this connection"})
		return
	}
	if c.session != "" {
		id, edge := c.session, c.edge
		c.ending.Go(func() {
			ctx, cancel := context.WithTimeout(c.ctx, writeWait)
			defer cancel()
			if err := edge.DeleteSession(ctx, id); err != nil {
				c.log.Debug("ending the session a standby replaced", "session", id, "err", err)
			}
		})
	}
	old := c.edgeName
	c.session, c.edge, c.edgeName = c.sb.id, c.sb.edge, c.sb.name
	c.candidates, c.overCandidates = c.sb.candidates, false
	c.sb = standbyConn{}
	if meta, ok := c.s.choice.metaOf(c.edgeName); ok {
		c.s.choice.placed(c.edgeName, meta.Version)
	}
	c.s.metrics.joins.WithLabelValues("standby").Inc()
	c.log.Info("standby activated", "session", c.session, "title", c.title, "edge", c.edgeName, "from", old, "player", c.player.subject)
	c.send(Message{Type: TypeActivated, Session: c.session, Edge: c.edgeName})
}

// dropStandby ends the connection's standby on its edge, if any, without
// waiting for the edge.
func (c *conn) dropStandby() {
	if c.sb.id == "" {
		return
	}
	id, edge := c.sb.id, c.sb.edge
	c.sb = standbyConn{}
	c.ending.Go(func() {
		ctx, cancel := context.WithTimeout(c.ctx, writeWait)
		defer cancel()
		if err := edge.DeleteSession(ctx, id); err != nil {
			c.log.Debug("ending standby", "standby", id, "err", err)
		}
	})
}

// sendStandbyError is sendError marked as the standby's.
func (c *conn) sendStandbyError(err error) {
	m := Message{Type: TypeError, Standby: true, Code: api.CodeInternal, Message: "internal error"}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		m.Code, m.Message = pe.Code, pe.Msg
	} else if ae, ok := api.AsError(err); ok {
		m.Code, m.Message = ae.Code, ae.Message
	}
	c.send(m)
}
