package catalog

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"stratus/cluster"
	"stratus/title/manifest"
)

// memSource is a Source in memory.
type memSource struct {
	mu      sync.Mutex
	snap    Snapshot
	changed chan struct{}
}

func newMem() *memSource { return &memSource{changed: make(chan struct{})} }

func (m *memSource) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap
}

func (m *memSource) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

func (m *memSource) set(rev uint64, ids ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap = Snapshot{Revision: rev}
	for _, id := range ids {
		m.snap.Titles = append(m.snap.Titles, manifest.Manifest{ID: id})
	}
	close(m.changed)
	m.changed = make(chan struct{})
}

func serve(t *testing.T, src Source, token string) string {
	t.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(Handler(src, token, stop, slog.New(slog.DiscardHandler)))
	t.Cleanup(func() { close(stop); srv.Close() })
	return srv.URL
}

func TestFetch(t *testing.T) {
	src := newMem()
	src.set(5, "gears")
	url := serve(t, src, "")
	ctx := context.Background()

	tests := []struct {
		name    string
		after   uint64
		wantNew bool
	}{
		{"from nothing", 0, true},
		{"older", 4, true},
		{"same", 5, false},
		{"newer than the server", 9, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap, ok, err := Fetch(ctx, nil, url, "", tc.after, 0)
			if err != nil || ok != tc.wantNew {
				t.Fatalf("Fetch(after %d) = %v, %v; want new=%v", tc.after, ok, err, tc.wantNew)
			}
			if ok && (snap.Revision != 5 || len(snap.Titles) != 1 || snap.Titles[0].ID != "gears") {
				t.Fatalf("got %+v", snap)
			}
		})
	}
}

func TestLongPollAnswersAtTheChange(t *testing.T) {
	src := newMem()
	src.set(1, "a")
	url := serve(t, src, "")
	type result struct {
		snap Snapshot
		ok   bool
		err  error
	}
	done := make(chan result, 1)
	go func() {
		s, ok, err := Fetch(context.Background(), nil, url, "", 1, 20*time.Second)
		done <- result{s, ok, err}
	}()
	// The poll must still be waiting: nothing changed yet.
	select {
	case r := <-done:
		t.Fatalf("long poll returned before any change: %+v", r)
	case <-time.After(200 * time.Millisecond):
	}
	src.set(2, "a", "b")
	select {
	case r := <-done:
		if r.err != nil || !r.ok || r.snap.Revision != 2 || len(r.snap.Titles) != 2 {
			t.Fatalf("after the change: %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("long poll did not answer the change within 10 s")
	}
}

func TestLongPollTimesOut(t *testing.T) {
	src := newMem()
	src.set(3)
	url := serve(t, src, "")
	_, ok, err := Fetch(context.Background(), nil, url, "", 3, 100*time.Millisecond)
	if err != nil || ok {
		t.Fatalf("unchanged catalog after the wait: ok=%v err=%v", ok, err)
	}
}

func TestRefusals(t *testing.T) {
	src := newMem()
	src.set(1, "a")
	token := catalogToken([]byte("0123456789abcdef"))
	url := serve(t, src, token)
	if _, _, err := Fetch(context.Background(), nil, url, "", 0, 0); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("no token: err %v, want 401", err)
	}
	if _, _, err := Fetch(context.Background(), nil, url, catalogToken([]byte("another key 0123")), 0, 0); err == nil {
		t.Fatal("a token from another key was accepted")
	}
	if _, ok, err := Fetch(context.Background(), nil, url, token, 0, 0); err != nil || !ok {
		t.Fatalf("right token: %v %v", ok, err)
	}
	for _, q := range []string{"after=x", "after=-1", "wait=soon", "wait=-1s"} {
		req, _ := http.NewRequest(http.MethodGet, url+Path+"?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, resp.StatusCode)
		}
	}
	resp, err := http.Post(url+Path, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", resp.StatusCode)
	}
}

func TestOversizedCatalogIsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"revision":1,"titles":[{"id":"` + strings.Repeat("x", MaxBody) + `"}]}`))
	}))
	defer srv.Close()
	if _, _, err := Fetch(context.Background(), nil, srv.URL, "", 0, 0); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err %v, want a size refusal", err)
	}
}

func catalogToken(key []byte) string { return cluster.DeriveToken(key, cluster.PurposeCatalog) }
