package cluster

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// syncBuffer collects a test's log; it is printed only when the test fails.
// (t.Log cannot be used: memberlist may still log while it shuts down, after
// the test has returned.)
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger(t testing.TB) (*slog.Logger, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			s := buf.String()
			if len(s) > 20000 {
				s = "…" + s[len(s)-20000:]
			}
			t.Logf("log:\n%s", s)
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

func testConfig(pool, name string, key []byte, seeds ...string) PoolConfig {
	return PoolConfig{
		Pool:     pool,
		Name:     name,
		BindAddr: "127.0.0.1",
		Join:     seeds,
		Key:      key,
		Dev:      key == nil,
	}
}

func testMeta(name string) Meta {
	return Meta{
		Role:     RoleEdge,
		Region:   "eu",
		Location: Location{Lat: 48.85, Lon: 2.35},
		API:      "http://127.0.0.1:9000/" + name,
		Media:    "127.0.0.1:9001",
		Capacity: 8,
		Free:     8,
		Health:   HealthOK,
		Titles:   []string{"rocks", "testpattern"},
	}
}

// startPool starts a pool that the test closes when it ends.
func startPool(t testing.TB, cfg PoolConfig, meta Meta, log *slog.Logger) *Pool {
	t.Helper()
	p, err := NewPool(cfg, meta, log)
	if err != nil {
		t.Fatalf("NewPool(%s/%s): %v", cfg.Pool, cfg.Name, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// startCluster starts n pools of one LAN pool, each seeded with the first,
// and waits until every pool lists all n.
func startCluster(t testing.TB, n int, key []byte, log *slog.Logger) []*Pool {
	t.Helper()
	pools := make([]*Pool, n)
	for i := range n {
		name := fmt.Sprintf("edge-%02d", i)
		var seeds []string
		if i > 0 {
			seeds = []string{pools[0].LocalAddr()}
		}
		pools[i] = startPool(t, testConfig("lan/eu", name, key, seeds...), testMeta(name), log)
	}
	waitFor(t, 10*time.Second, fmt.Sprintf("all %d pools list %d members", n, n), func() (bool, string) {
		for _, p := range pools {
			if c := len(p.Members()); c != n {
				return false, fmt.Sprintf("%s lists %d", p.Name(), c)
			}
		}
		return true, ""
	})
	return pools
}

// waitFor polls cond until it holds or timeout passes, then fails with what
// was awaited and cond's last explanation.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s: %s", timeout, what, why)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func names(ms []Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

func listed(p *Pool, name string) bool {
	return slices.Contains(names(p.Members()), name)
}

// eventWatch collects, per pool, the first event matching a predicate.
type eventWatch struct {
	mu   sync.Mutex
	seen map[string]Event // pool name → event
	wg   sync.WaitGroup
}

// watch subscribes to every pool and records the first event for which
// match holds. Call stop (or let the test end) to unsubscribe.
func watch(t testing.TB, pools []*Pool, match func(Event) bool) *eventWatch {
	w := &eventWatch{seen: make(map[string]Event)}
	var cancels []func()
	for _, p := range pools {
		ch, cancel := p.Subscribe()
		cancels = append(cancels, cancel)
		w.wg.Go(func() {
			for ev := range ch {
				if match(ev) {
					w.mu.Lock()
					if _, ok := w.seen[p.Name()]; !ok {
						w.seen[p.Name()] = ev
					}
					w.mu.Unlock()
				}
			}
		})
	}
	t.Cleanup(func() {
		for _, c := range cancels {
			c()
		}
		w.wg.Wait()
	})
	return w
}

func (w *eventWatch) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen)
}

// latest is the last arrival among the recorded events.
func (w *eventWatch) latest() (time.Time, map[string]Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var last time.Time
	for _, ev := range w.seen {
		if ev.At.After(last) {
			last = ev.At
		}
	}
	return last, w.seen
}

func (w *eventWatch) missing(pools []*Pool) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, p := range pools {
		if _, ok := w.seen[p.Name()]; !ok {
			out = append(out, p.Name())
		}
	}
	return "not yet: " + strings.Join(out, ", ")
}
