package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"stratus/title/catalog"
)

// serveWithTimeouts serves h on loopback with timeouts t until the test
// ends, and returns the address.
func serveWithTimeouts(t *testing.T, h http.Handler, to httpTimeouts) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServerWith(h, prometheus.NewRegistry(), to)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ln.Addr().String()
}

// shortTimeouts make the attacks below take well under a second each.
func shortTimeouts() httpTimeouts {
	return httpTimeouts{ReadHeader: 300 * time.Millisecond, Read: 500 * time.Millisecond,
		Write: 500 * time.Millisecond, Idle: 300 * time.Millisecond}
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	})
}

// untilClosed reads from c until the server closes it or limit passes,
// and returns how long that took.
func untilClosed(c net.Conn, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	if err != nil {
		return time.Since(start), err // the deadline: still open
	}
	return time.Since(start), nil
}

// TestHTTPIdleConnections: 500 clients open keep-alive connections, make
// one request each and then sit idle; the server closes every one once
// IdleTimeout has passed, not before.
func TestHTTPIdleConnections(t *testing.T) {
	to := shortTimeouts()
	const conns = 500
	addr := serveWithTimeouts(t, okHandler(), to)
	var (
		mu     sync.Mutex
		idle   []time.Duration
		failed []string
		wg     sync.WaitGroup
	)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(err error) {
				mu.Lock()
				failed = append(failed, fmt.Sprintf("conn %d: %v", i, err))
				mu.Unlock()
			}
			c, err := net.Dial("tcp", addr)
			if err != nil {
				fail(err)
				return
			}
			defer c.Close()
			if _, err := io.WriteString(c, "GET /x HTTP/1.1\r\nHost: stratus\r\n\r\n"); err != nil {
				fail(err)
				return
			}
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				fail(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.Close {
				fail(errors.New("server did not keep the connection alive"))
				return
			}
			d, err := untilClosed(c, 10*time.Second)
			if err != nil {
				fail(fmt.Errorf("still open after %v: %w", d, err))
				return
			}
			mu.Lock()
			idle = append(idle, d)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(idle)
	if len(idle) > 0 {
		t.Logf("tried: %d keep-alive connections, one request each, then idle (IdleTimeout %v); got: %d closed by the server after %v to %v (median %v), %d not",
			conns, to.Idle, len(idle), idle[0].Round(time.Millisecond), idle[len(idle)-1].Round(time.Millisecond),
			idle[len(idle)/2].Round(time.Millisecond), len(failed))
	}
	if len(failed) > 0 {
		t.Fatalf("%d connections not closed as idle, e.g. %s", len(failed), failed[0])
	}
	// Closed for idleness, not at once: the idle wait starts after the
	// answer, which the client read just before it started its clock.
	if idle[0] < to.Idle/2 {
		t.Errorf("a connection was closed after %v, before IdleTimeout %v", idle[0], to.Idle)
	}
}

// TestHTTPSlowClients: clients that trickle a request are cut off by the
// header and read timeouts, instead of holding a connection for as long as
// they like.
func TestHTTPSlowClients(t *testing.T) {
	to := shortTimeouts()
	addr := serveWithTimeouts(t, okHandler(), to)
	tests := []struct {
		name  string
		send  string
		limit time.Duration
	}{
		{"headers never end", "GET /x HTTP/1.1\r\nHost: stratus\r\n", to.ReadHeader},
		{"body never ends", "POST /x HTTP/1.1\r\nHost: stratus\r\nContent-Length: 100000\r\n\r\nsome", to.Read},
		{"nothing sent", "", to.ReadHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tt.send); err != nil {
				t.Fatal(err)
			}
			d, err := untilClosed(c, 10*time.Second)
			t.Logf("tried: %q and then silence; got: closed after %v (limit %v), err %v", tt.send, d.Round(time.Millisecond), tt.limit, err)
			if err != nil {
				t.Fatalf("connection still open after %v", d)
			}
			if d > tt.limit+5*time.Second {
				t.Fatalf("closed only after %v, limit %v", d, tt.limit)
			}
		})
	}
}

// TestHTTPWebSocketOutlivesTimeouts: a WebSocket on a server built here
// lives on well past the read, write and idle timeouts, busy or quiet:
// the upgrade clears the HTTP deadlines.
func TestHTTPWebSocketOutlivesTimeouts(t *testing.T) {
	to := shortTimeouts()
	up := websocket.Upgrader{}
	addr := serveWithTimeouts(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			kind, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if err := ws.WriteMessage(kind, msg); err != nil {
				return
			}
		}
	}), to)
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	echo := func(msg string) {
		t.Helper()
		if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, got, err := ws.ReadMessage()
		if err != nil || string(got) != msg {
			t.Fatalf("%s: echo %q, %v", msg, got, err)
		}
	}
	start := time.Now()
	// Busy for three times the longest timeout, then quiet for as long:
	// the sleeps are the time passing that the test is about.
	for i := 0; time.Since(start) < 3*to.Write; i++ {
		echo(fmt.Sprintf("busy %d", i))
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(3 * to.Write)
	echo("after a quiet spell")
	t.Logf("WebSocket still echoing after %v (read, write and idle timeouts %v, %v, %v)",
		time.Since(start).Round(time.Millisecond), to.Read, to.Write, to.Idle)
}

// TestHTTPDefaultTimeouts: every timeout is set, and the write timeout
// leaves the catalog long poll its full wait.
func TestHTTPDefaultTimeouts(t *testing.T) {
	d := defaultHTTPTimeouts()
	srv := newHTTPServer(http.NotFoundHandler(), prometheus.NewRegistry())
	for name, v := range map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout, "ReadTimeout": srv.ReadTimeout,
		"WriteTimeout": srv.WriteTimeout, "IdleTimeout": srv.IdleTimeout,
	} {
		if v <= 0 {
			t.Errorf("%s not set", name)
		}
	}
	if d.Write < catalog.MaxWait+5*time.Second {
		t.Errorf("WriteTimeout %v would cut off a catalog long poll of %v", d.Write, catalog.MaxWait)
	}
}
