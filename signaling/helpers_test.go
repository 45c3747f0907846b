package signaling_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"stratus/internal/edgenet"
	"stratus/internal/player"
	"stratus/signaling"
	"stratus/trust"
)

// node is a signaling server on an edgenet.Net, served on a loopback port.
type node struct {
	*signaling.Server
	URL string
	net *edgenet.Net
}

// newNode serves a signaling node on net; change, if given, adjusts its
// configuration. Node and network close with the test.
func newNode(t *testing.T, net *edgenet.Net, change ...func(*signaling.Config)) *node {
	t.Helper()
	return newNodeLog(t, net, testLog(t), change...)
}

// newNodeLog is newNode logging to log.
func newNodeLog(t *testing.T, net *edgenet.Net, log *slog.Logger, change ...func(*signaling.Config)) *node {
	t.Helper()
	cfg := signaling.DefaultConfig()
	cfg.Name, cfg.Region, cfg.JoinTimeout = "sig-test", "eu", 5*time.Second
	cfg.OperatorToken = testOperatorToken
	// The node knows its URL, as stratus signal does, so that its pages'
	// Origin is admitted: the listener comes first.
	srv := httptest.NewUnstartedServer(nil)
	cfg.PublicURL = "http://" + srv.Listener.Addr().String()
	for _, f := range change {
		f(&cfg)
	}
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the play page") })
	s, err := signaling.NewOn(cfg, net, web, log)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	srv.Start()
	t.Cleanup(func() {
		s.Close()
		srv.Close()
	})
	return &node{Server: s, URL: srv.URL, net: net}
}

// testLog collects a test's log and prints it only if the test fails.
// (Goroutines may still log as the test ends, which t.Log forbids.)
func testLog(t *testing.T) *slog.Logger {
	t.Helper()
	log, _ := watchLog(t)
	return log
}

// watchLog is testLog, with a function that says whether the log holds
// substr.
func watchLog(t *testing.T) (*slog.Logger, func(substr string) bool) {
	t.Helper()
	var mu sync.Mutex
	var buf bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			defer mu.Unlock()
			t.Logf("log:\n%s", buf.String())
		}
	})
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	})
	holds := func(substr string) bool {
		mu.Lock()
		defer mu.Unlock()
		return bytes.Contains(buf.Bytes(), []byte(substr))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})), holds
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// noLeaks checks, as the test ends, that every goroutine the test started
// has ended: the node's connections and their calls to edges, the fake
// edges and the players. Call it first, so that its check runs last.
func noLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// dial connects a player to the node; the player closes with the test.
func dial(t *testing.T, n *node) *player.Player {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := player.Dial(ctx, n.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// wait bounds what a test waits for from the node.
func wait(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds (see package signaling's).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	signaling.Eventually(t, what, cond)
}

// httpGet reads the body at u.
// testOperatorToken is the operator token of the nodes newNode starts.
const testOperatorToken trust.Token = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// operatorGet is GET u as the operator: with testOperatorToken.
func operatorGet(u string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	trust.SetBearer(req.Header, testOperatorToken)
	return http.DefaultClient.Do(req)
}

// httpGet is the body of GET u, sent as the operator.
func httpGet(u string) ([]byte, error) {
	resp, err := operatorGet(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
