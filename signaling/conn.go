package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"stratus/edge/api"
)

// Keep-alive: a player whose connection silently died is noticed within
// pongWait, and the session on the edge is ended.
const (
	pingEvery = 10 * time.Second
	pongWait  = 25 * time.Second
	writeWait = 5 * time.Second
	// readLimit is larger than MaxMessageBytes so that an oversized message
	// can still be answered with an error; beyond it the socket is closed.
	readLimit = 1 << 20
)

// conn is one player's WebSocket. Its read loop is the only goroutine that
// changes session state; writes are serialised by wmu.
type conn struct {
	s   *Server
	ws  *websocket.Conn
	log *slog.Logger
	wmu sync.Mutex

	// The player's current session, if joined.
	session string
	edge    *api.Client
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &conn{s: s, ws: ws, log: s.log.With("remote", r.RemoteAddr)}
	s.metrics.conns.Inc()
	defer s.metrics.conns.Dec()
	c.serve(r.Context())
}

func (c *conn) serve(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer c.ws.Close()
	// A player whose page went away leaves; but when this node is shutting
	// down its players stay: their pages reconnect to another node and
	// play on.
	defer func() {
		if !c.s.closing.Load() {
			c.leave()
		}
	}()

	c.ws.SetReadLimit(readLimit)
	c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	go c.keepAlive(ctx)
	c.send(Message{Type: TypeHello, Node: c.s.cfg.Name, Signals: c.s.signals.current(), Probes: c.s.choice.probes()})

	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.log.Warn("player message over the read limit; closing")
			}
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(pongWait))
		if typ != websocket.TextMessage {
			c.sendError(&ProtocolError{Code: api.CodeBadMessage, Msg: "messages must be JSON text"})
			continue
		}
		m, err := ParseClient(data)
		if err != nil {
			c.s.metrics.badMessages.Inc()
			c.log.Debug("bad player message", "err", err)
			c.sendError(err)
			continue
		}
		c.handle(ctx, m)
	}
}

func (c *conn) keepAlive(ctx context.Context) {
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.wmu.Lock()
			err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait))
			c.wmu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

func (c *conn) handle(ctx context.Context, m Message) {
	switch m.Type {
	case TypeTitles:
		c.titles(ctx)
	case TypeJoin:
		c.join(ctx, m)
	case TypeCandidate:
		if c.session == "" {
			c.sendError(&ProtocolError{Code: api.CodeNotJoined, Msg: "candidate before join"})
			return
		}
		cand := api.Candidate{Candidate: m.Candidate.Candidate, SDPMid: m.Candidate.SDPMid, SDPMLineIndex: m.Candidate.SDPMLineIndex}
		ctx, cancel := context.WithTimeout(ctx, writeWait)
		defer cancel()
		if err := c.edge.AddCandidate(ctx, c.session, cand); err != nil {
			c.log.Debug("candidate not delivered", "err", err)
		}
	case TypeLeave:
		c.leave()
	}
}

// titles answers with the titles offered by the edges this node knows,
// as the first edge offering each describes it.
func (c *conn) titles(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, c.s.cfg.JoinTimeout)
	defer cancel()
	list, err := c.s.fanout.titles(ctx)
	if err != nil {
		c.sendError(err)
		return
	}
	c.send(Message{Type: TypeTitles, Titles: list})
}

// join places the player on the best edge that admits them.
func (c *conn) join(ctx context.Context, m Message) {
	c.leave()
	ctx, cancel := context.WithTimeout(ctx, c.s.cfg.JoinTimeout)
	defer cancel()
	c.send(Message{Type: TypeStatus, Stage: "routing", Message: "finding the nearest edge"})
	req := c.s.choice.request(m.Title, m.RTT, m.Exclude)
	p, d, err := c.s.placer.place(ctx, req, m.SDP, m.Resume, func(edge string) {
		c.send(Message{Type: TypeStatus, Stage: "starting", Edge: edge, Message: "starting " + m.Title + " on " + edge})
	})
	if err != nil {
		code := api.CodeInternal
		if ae, ok := api.AsError(err); ok {
			code = ae.Code
		}
		c.s.metrics.joins.WithLabelValues(code).Inc()
		c.log.Info("join refused", "title", m.Title, "err", err, "why", d.Why)
		c.sendError(err)
		return
	}
	c.session, c.edge = p.resp.ID, p.client
	c.s.metrics.joins.WithLabelValues("ok").Inc()
	c.log.Info("player joined", "session", p.resp.ID, "title", m.Title, "edge", p.resp.Edge, "region", p.resp.Region,
		"why", d.Why, "resumed", m.Resume != "", "excluded", m.Exclude)
	c.send(Message{Type: TypeJoined, Session: p.resp.ID, Edge: p.resp.Edge, Region: p.resp.Region, SDP: p.resp.Answer})
}

// leave ends the player's session on its edge, if any. It does not wait
// for the edge: a player rejoining after their edge died must not wait on
// the dead edge's answer.
func (c *conn) leave() {
	if c.session == "" {
		return
	}
	id, edge, log := c.session, c.edge, c.log
	c.session, c.edge = "", nil
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), writeWait)
		defer cancel()
		if err := edge.DeleteSession(ctx, id); err != nil {
			log.Debug("ending session", "session", id, "err", err)
		}
	}()
}

func (c *conn) send(m Message) {
	data, err := json.Marshal(m)
	if err != nil {
		c.log.Error("encoding message", "err", err)
		return
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	if err := c.ws.WriteMessage(websocket.TextMessage, data); err != nil {
		c.log.Debug("write to player failed", "err", err)
	}
}

// sendError reports err to the player with the code the page understands.
func (c *conn) sendError(err error) {
	m := Message{Type: TypeError, Code: api.CodeInternal, Message: "internal error"}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		m.Code, m.Message = pe.Code, pe.Msg
	} else if ae, ok := api.AsError(err); ok {
		m.Code, m.Message = ae.Code, ae.Message
	} else if err != nil {
		c.log.Error("internal error", "err", err)
	}
	c.send(m)
}
