package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"stratus/edge/api"
	"stratus/trust/resume"
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

const (
	// sendQueue is how many messages to the player may wait for the writer.
	sendQueue = 16
	// playQueue is how many of the player's messages may wait for the
	// session goroutine while it works on one (a join waits for its edge);
	// beyond it the reader waits too. A page sends a join, then a few
	// candidates and perhaps a leave.
	playQueue = 32
)

// conn is one player's WebSocket, served by three goroutines, all ended
// before serve returns:
//
//   - the reader (serve's own goroutine) reads and checks the player's
//     messages and hands them on in order to the session goroutine. It
//     never waits on an edge, so a leave is read while a join is in flight,
//     and pongs keep moving the read deadline.
//   - the writer is the only one to write on the socket: the messages of
//     send in order, and the pings, each write with a deadline. A write
//     that fails stops it (the socket is broken for writing); with no
//     pings going out, no pongs come back, and the read deadline ends the
//     connection.
//   - the session goroutine (play.go) owns the player's session on its edge
//     and applies titles, join, candidate and leave one at a time, in the
//     order the player sent them. It also owns the player's place in line
//     while a join waits for room (queuewait.go), and serves their
//     messages meanwhile.
//
// Sessions the player leaves are ended on their edge off the session
// goroutine, and serve waits for those too. The connection ends when the
// player's socket does, or when the server closes (its context ends).
type conn struct {
	s   *Server
	ws  *websocket.Conn
	log *slog.Logger
	// ctx ends with the server; the calls to edges are made in it.
	ctx context.Context

	out       chan []byte   // to the writer
	stopWrite chan struct{} // closed once nothing more will be sent
	writeDone chan struct{} // closed when the writer has stopped

	ops      chan Message  // to the session goroutine
	readDone chan struct{} // closed when the reader has stopped
	playDone chan struct{} // closed when the session goroutine has stopped

	// ending counts the goroutines ending sessions on their edges.
	ending sync.WaitGroup

	// client is the address the socket came from, with its counts.
	client *client

	// The player's current session, if joined. Only the session goroutine
	// uses them.
	session string
	edge    *api.Client
	// edgeName and title are the session's edge and game, for its standby.
	edgeName, title string
	// sb is the session's standby, if any (standby.go).
	sb standbyConn
	// slot says whether the connection holds one of player's session
	// slots (Limits.SessionsPerPlayer): from a join's start until it fails
	// or the session is left. player is who the latest join was for.
	slot   bool
	player player
	// resumed is the newest resume token of each lineage this connection
	// spent on a placed join (resume.go).
	resumed map[resume.Lineage]uint64
	// candidates counts those relayed for the session (or the join in
	// flight), against Limits.CandidatesPerSession; overCandidates says the
	// player was told it went over.
	candidates     int
	overCandidates bool
	// inLine says a join waits in line for room (waitForRoom); held are
	// the candidates the player sent meanwhile, for the session it will
	// start. deferred is a join that ended such a wait, to apply next.
	inLine   bool
	held     []api.Candidate
	deferred *Message
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if !s.connOpened() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.connClosed()
	// Counted before the upgrade so that a client over its count costs a
	// plain HTTP answer only. A page whose socket fails to open backs off
	// and tries again (or another node), as it does for a node that is
	// down; an error message on an open socket would end its game instead.
	ip := clientIP(r)
	cl, ok := s.clients.openSocket(ip)
	if !ok {
		s.metrics.limited.WithLabelValues("websockets").Inc()
		s.log.Warn("websocket refused: too many from one address", "ip", ip, "limit", s.cfg.Limits.WebSocketsPerIP)
		w.Header().Set("Retry-After", strconv.Itoa(int(socketRetryAfter.Seconds())))
		http.Error(w, "too many connections from your address", http.StatusTooManyRequests)
		return
	}
	defer s.clients.closeSocket(cl)
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &conn{
		s: s, ws: ws, log: s.log.With("remote", r.RemoteAddr), ctx: s.ctx, client: cl,
		out: make(chan []byte, sendQueue), stopWrite: make(chan struct{}), writeDone: make(chan struct{}),
		ops: make(chan Message, playQueue), readDone: make(chan struct{}), playDone: make(chan struct{}),
	}
	s.metrics.conns.Inc()
	defer s.metrics.conns.Dec()
	c.serve()
}

func (c *conn) serve() {
	// The server closing ends the connection: closing the socket ends the
	// reader, and the context the session goroutine's work.
	unwatch := context.AfterFunc(c.ctx, func() { c.ws.Close() })
	defer unwatch()
	go c.write()
	go c.play()

	c.send(Message{Type: TypeHello, Node: c.s.cfg.Name, Signals: c.s.signals.current(), Probes: c.s.choice.probes()})
	c.read()

	close(c.readDone)
	<-c.playDone // after the message in hand: its answer may still go out
	close(c.stopWrite)
	<-c.writeDone
	c.ws.Close()
	c.ending.Wait()
}

// read reads the player's messages until the socket fails, answering those
// it refuses and handing the others to the session goroutine.
func (c *conn) read() {
	c.ws.SetReadLimit(readLimit)
	c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(pongWait))
	})
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
		select {
		case c.ops <- m:
		case <-c.ctx.Done():
			return
		}
	}
}

// write sends what send queues, and pings, until stopWrite or a failed
// write.
func (c *conn) write() {
	defer close(c.writeDone)
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		var err error
		select {
		case <-c.stopWrite:
			return
		case data := <-c.out:
			c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			err = c.ws.WriteMessage(websocket.TextMessage, data)
		case <-t.C:
			err = c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait))
		}
		if err != nil {
			c.log.Debug("write to player failed", "err", err)
			return
		}
	}
}

// send queues m for the player; it is dropped once the writer has stopped.
func (c *conn) send(m Message) {
	data, err := json.Marshal(m)
	if err != nil {
		c.log.Error("encoding message", "err", err)
		return
	}
	select {
	case c.out <- data:
	case <-c.writeDone:
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
