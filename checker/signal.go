package checker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"stratus/edge/api"
	"stratus/signaling"
)

// socket is the probe's player WebSocket to a signaling node. A goroutine
// reads it from dial until close.
type socket struct {
	ws   *websocket.Conn
	msgs chan signaling.Message
	wmu  sync.Mutex
	read chan struct{}
}

// dial opens the socket and reads the node's greeting.
func dial(ctx context.Context, base, origin string) (*socket, error) {
	u := strings.Replace(strings.TrimRight(base, "/"), "http", "ws", 1) + "/v1/ws"
	h := http.Header{}
	h.Set("Origin", origin)
	ws, resp, err := websocket.DefaultDialer.DialContext(ctx, u, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("checker: %s refused the socket: %s", u, resp.Status)
		}
		return nil, fmt.Errorf("checker: %w", err)
	}
	ws.SetReadLimit(signaling.MaxMessageBytes)
	s := &socket{ws: ws, msgs: make(chan signaling.Message, 64), read: make(chan struct{})}
	go s.readLoop()
	m, err := s.await(ctx, signaling.TypeHello)
	if err != nil {
		s.close()
		return nil, fmt.Errorf("checker: no greeting: %w", err)
	}
	_ = m
	return s, nil
}

func (s *socket) readLoop() {
	defer close(s.read)
	defer close(s.msgs)
	for {
		var m signaling.Message
		if err := s.ws.ReadJSON(&m); err != nil {
			return
		}
		select {
		case s.msgs <- m:
		default:
			// Status messages nobody waits for; a probe never lets 64
			// pile up unless it is stuck, and then it gives up anyway.
		}
	}
}

// await returns the next message of one of types; an error message ends
// the wait with it, as an *api.Error.
func (s *socket) await(ctx context.Context, types ...string) (signaling.Message, error) {
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				return m, fmt.Errorf("socket closed")
			}
			if m.Type == signaling.TypeError {
				return m, api.Errorf(m.Code, "%s", m.Message)
			}
			for _, t := range types {
				if m.Type == t {
					return m, nil
				}
			}
		case <-ctx.Done():
			return signaling.Message{}, ctx.Err()
		}
	}
}

func (s *socket) send(m signaling.Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return s.ws.WriteMessage(websocket.TextMessage, b)
}

func (s *socket) close() {
	s.ws.Close()
	<-s.read
}
