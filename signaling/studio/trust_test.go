package studio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"stratus/title/builtin"
)

// These tests attack the studio API as a studio, or a stranger, would:
// each case logs what it tried and what it got.

// serve sends one request through the Service's real handler, as if from
// remoteAddr, and decodes an error answer into e.
func serve(t *testing.T, svc *Service, remoteAddr, key, method, path string, body []byte) (*httptest.ResponseRecorder, APIError) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.RemoteAddr = remoteAddr
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, req)
	var e APIError
	if rec.Code/100 != 2 {
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, path, rec.Code, rec.Body, err)
		}
	}
	return rec, e
}

func newService(t *testing.T, cfg Config) *Service {
	t.Helper()
	svc, err := New(cfg, testLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

func builtinJSON(id, version string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"name":"Hijack","version":%q,"runtime":"builtin","regions":["nowhere"],"input":{"keyboard":true}}`, id, version)
}

func TestBuiltinIDsAreReserved(t *testing.T) {
	var ids []string
	for _, d := range builtin.Descriptors() {
		ids = append(ids, d.ID)
	}
	if len(ids) < 2 {
		t.Fatalf("built-in titles %v: expected rocks and testpattern", ids)
	}
	cfg := testConfig(t.TempDir())
	cfg.Limits.ReservedIDs = []string{"House-Game"}
	svc := newService(t, cfg)
	// A title acme owns, for the PUT cases to have something real to aim
	// from.
	if rec, e := serve(t, svc, "192.0.2.1:1000", keyAcme, "POST", TitlesPath, manifestJSON("rocket", "1.0.0")); rec.Code != 201 {
		t.Fatalf("setup: %d %+v", rec.Code, e)
	}
	before, rev := svc.Store().Snapshot(), svc.Store().Revision()

	cases := []struct {
		name, method, path string
		body               []byte
		wantStatus         int
		wantCode, wantID   string
	}{
		{"create rocks as builtin", "POST", TitlesPath, builtinJSON("rocks", "9.0.0"), 403, "reserved_id", "rocks"},
		{"create rocks as process", "POST", TitlesPath, manifestJSON("rocks", "9.0.0"), 403, "reserved_id", "rocks"},
		{"create ROCKS", "POST", TitlesPath, manifestJSON("ROCKS", "9.0.0"), 403, "reserved_id", "ROCKS"},
		{"create Rocks", "POST", TitlesPath, manifestJSON("Rocks", "9.0.0"), 403, "reserved_id", "Rocks"},
		{"create testpattern", "POST", TitlesPath, builtinJSON("testpattern", "9.0.0"), 403, "reserved_id", "testpattern"},
		{"create an operator-reserved id", "POST", TitlesPath, manifestJSON("house-game", "1.0.0"), 403, "reserved_id", "house-game"},
		{"version rocks", "PUT", TitlesPath + "/rocks", manifestJSON("rocks", "9.0.0"), 403, "reserved_id", "rocks"},
		{"version ROCKS", "PUT", TitlesPath + "/ROCKS", manifestJSON("ROCKS", "9.0.0"), 403, "reserved_id", "ROCKS"},
		{"version testpattern with a broken body", "PUT", TitlesPath + "/testpattern", []byte("{"), 403, "reserved_id", "testpattern"},
		{"retire rocks", "DELETE", TitlesPath + "/rocks", nil, 404, "not_found", "rocks"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, e := serve(t, svc, "192.0.2.1:1000", keyAcme, c.method, c.path, c.body)
			t.Logf("tried %s %s %s; got %d %s: %s", c.method, c.path, c.body, rec.Code, e.Code, e.Message)
			if rec.Code != c.wantStatus || e.Code != c.wantCode {
				t.Fatalf("got %d %+v, want %d %s", rec.Code, e, c.wantStatus, c.wantCode)
			}
			if !strings.Contains(e.Message, fmt.Sprintf("%q", c.wantID)) {
				t.Errorf("message %q does not name %q", e.Message, c.wantID)
			}
		})
	}
	after := svc.Store().Snapshot()
	if svc.Store().Revision() != rev || len(after.Titles) != len(before.Titles) || after.Titles[0].ID != "rocket" {
		t.Fatalf("the store changed: %+v, was %+v", after, before)
	}
}

// A title that took a built-in's id before ids were reserved stays on
// record, but players never see it and its studio cannot publish to it.
func TestReservedIDTakenBefore(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	old := fileData{Format: legacyFormat, Revision: 1, Titles: []Title{
		{ID: "rocks", Studio: "acme", Version: "1.0.0", Created: now, Updated: now, Versions: []string{"1.0.0"}},
		{ID: "rocket", Studio: "acme", Version: "1.0.0", Created: now, Updated: now, Versions: []string{"1.0.0"}},
	}}
	old.Titles[0].Manifest.ID, old.Titles[1].Manifest.ID = "rocks", "rocket"
	data, _ := json.Marshal(old)
	if err := os.WriteFile(filepath.Join(dir, legacyFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	svc := newService(t, testConfig(dir))
	if got := svc.Store().Snapshot().Titles; len(got) != 1 || got[0].ID != "rocket" {
		t.Fatalf("snapshot %+v: want rocket only", got)
	}
	rec, e := serve(t, svc, "192.0.2.1:1000", keyAcme, "PUT", TitlesPath+"/rocks", manifestJSON("rocks", "2.0.0"))
	t.Logf("tried a new version of a squatted rocks; got %d %+v", rec.Code, e)
	if rec.Code != 403 || e.Code != "reserved_id" {
		t.Fatalf("got %d %+v", rec.Code, e)
	}
	if _, err := svc.Store().Update("acme", mustManifest(t, "rocks", "2.0.0")); err == nil {
		t.Fatal("Store.Update accepted a reserved id")
	}
}

func TestStudioRuntimeBuiltinRefused(t *testing.T) {
	svc := newService(t, testConfig(t.TempDir()))
	if rec, e := serve(t, svc, "192.0.2.1:1000", keyAcme, "POST", TitlesPath, manifestJSON("rocket", "1.0.0")); rec.Code != 201 {
		t.Fatalf("setup: %d %+v", rec.Code, e)
	}
	cases := []struct {
		name, method, path string
		body               []byte
	}{
		{"create as builtin", "POST", TitlesPath, builtinJSON("my-rocks", "1.0.0")},
		{"version to builtin", "PUT", TitlesPath + "/rocket", builtinJSON("rocket", "2.0.0")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, e := serve(t, svc, "192.0.2.1:1000", keyAcme, c.method, c.path, c.body)
			t.Logf("tried %s %s with runtime builtin; got %d %+v", c.method, c.path, rec.Code, e)
			if rec.Code != 400 || e.Code != "bad_manifest" {
				t.Fatalf("got %d %+v", rec.Code, e)
			}
			found := false
			for _, p := range e.Problems {
				found = found || p.Field == "runtime" && strings.Contains(p.Problem, "builtin")
			}
			if !found {
				t.Errorf("no runtime problem in %+v", e.Problems)
			}
		})
	}
	if got := svc.Store().Snapshot().Titles; len(got) != 1 || got[0].Runtime != "process" || got[0].Version != "1.0.0" {
		t.Fatalf("catalog %+v", got)
	}
}

func TestQuotas(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.MaxTitles, cfg.Limits.MaxVersions = 3, 3
	svc := newService(t, cfg)
	const addr = "192.0.2.1:1000"
	for i := range 3 {
		if rec, e := serve(t, svc, addr, keyAcme, "POST", TitlesPath, manifestJSON(fmt.Sprintf("game-%d", i), "1.0.0")); rec.Code != 201 {
			t.Fatalf("game-%d: %d %+v", i, rec.Code, e)
		}
	}
	if rec, e := serve(t, svc, addr, keyAcme, "DELETE", TitlesPath+"/game-2", nil); rec.Code != 200 {
		t.Fatalf("retire: %d %+v", rec.Code, e)
	}
	for _, v := range []string{"1.1.0", "1.2.0"} {
		if rec, e := serve(t, svc, addr, keyAcme, "PUT", TitlesPath+"/game-0", manifestJSON("game-0", v)); rec.Code != 200 {
			t.Fatalf("version %s: %d %+v", v, rec.Code, e)
		}
	}
	cases := []struct {
		name, key, method, path string
		body                    []byte
		wantStatus              int
		wantCode, wantMessage   string
	}{
		{"a fourth title, one retired", keyAcme, "POST", TitlesPath, manifestJSON("game-3", "1.0.0"), 403, "quota_exceeded", "limit is 3"},
		{"a fourth version", keyAcme, "PUT", TitlesPath + "/game-0", manifestJSON("game-0", "2.0.0"), 403, "quota_exceeded", "limit is 3"},
		{"a manifest over the size limit", keyAcme, "POST", TitlesPath, bytes.Repeat([]byte(" "), MaxBody+1), 413, "too_large", fmt.Sprint(MaxBody)},
		{"another studio is not held to acme's count", keyRival, "POST", TitlesPath, manifestJSON("rival-game", "1.0.0"), 201, "", ""},
		{"another title of acme still versions", keyAcme, "PUT", TitlesPath + "/game-1", manifestJSON("game-1", "1.1.0"), 200, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, e := serve(t, svc, addr, c.key, c.method, c.path, c.body)
			t.Logf("tried %s %s (%d bytes); got %d %s: %s", c.method, c.path, len(c.body), rec.Code, e.Code, e.Message)
			if rec.Code != c.wantStatus || e.Code != c.wantCode || !strings.Contains(e.Message, c.wantMessage) {
				t.Fatalf("got %d %+v, want %d %s %q", rec.Code, e, c.wantStatus, c.wantCode, c.wantMessage)
			}
		})
	}
	if got, err := svc.Store().Get("acme", "game-0"); err != nil || got.Version != "1.2.0" || len(got.Versions) != 3 {
		t.Fatalf("game-0 after the quota: %+v %v", got, err)
	}
	if n := len(svc.Store().List("acme")); n != 3 {
		t.Fatalf("acme holds %d titles", n)
	}
}

// fakeClock is a clock tests move by hand; the real server calls it from
// its own goroutines.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestFailedKeysLockOut(t *testing.T) {
	svc := newService(t, testConfig(t.TempDir()))
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	svc.auth.now = clock.now
	const (
		attacker = "203.0.113.7:40000"
		other    = "198.51.100.9:40000"
	)
	steps := []struct {
		name       string
		addr, key  string
		advance    time.Duration
		repeat     int
		wantStatus int
	}{
		{"ten wrong keys are only unauthorized", attacker, "guess-0123456789abcdef", 0, DefaultAuthFailures, 401},
		{"the eleventh is refused", attacker, "guess-0123456789abcdef", 0, 1, 429},
		{"a right key from the same address is refused too", attacker, keyAcme, 0, 1, 429},
		{"no key at all is refused", attacker, "", 0, 1, 429},
		{"another address with a right key is served", other, keyAcme, 0, 1, 200},
		{"another address's wrong key is only unauthorized", other, "guess-0123456789abcdef", 0, 1, 401},
		{"just before the window ends still refused", attacker, keyAcme, DefaultAuthWindow - time.Second, 1, 429},
		{"after the window a right key is served", attacker, keyAcme, time.Second, 1, 200},
		{"and a wrong one is only unauthorized again", attacker, "guess-0123456789abcdef", 0, 1, 401},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clock.add(s.advance)
			for i := range s.repeat {
				rec, e := serve(t, svc, s.addr, s.key, "GET", TitlesPath, nil)
				t.Logf("tried GET from %s with key %q (try %d); got %d %s Retry-After %q", s.addr, s.key, i+1, rec.Code, e.Code, rec.Header().Get("Retry-After"))
				if rec.Code != s.wantStatus {
					t.Fatalf("got %d %+v, want %d", rec.Code, e, s.wantStatus)
				}
				if rec.Code != 429 {
					continue
				}
				secs := rec.Header().Get("Retry-After")
				var n int
				if _, err := fmt.Sscan(secs, &n); err != nil || n < 1 || n > int(DefaultAuthWindow/time.Second) {
					t.Errorf("Retry-After %q", secs)
				}
				if e.Code != "rate_limited" || strings.Contains(e.Message, "acme") {
					t.Errorf("answer %+v", e)
				}
			}
		})
	}
}

// A studio with a valid key cannot clear its address's failures between
// guesses at other keys: successes count for nothing.
func TestSuccessDoesNotReset(t *testing.T) {
	svc := newService(t, testConfig(t.TempDir()))
	const addr = "203.0.113.8:1"
	for i := range 2 * DefaultAuthFailures {
		key := "guess-0123456789abcdef"
		if i%2 == 1 {
			key = keyAcme
		}
		rec, _ := serve(t, svc, addr, key, "GET", TitlesPath, nil)
		t.Logf("request %d with key %q: %d", i+1, key, rec.Code)
		if i == 2*DefaultAuthFailures-2 && rec.Code != 401 {
			t.Fatalf("the tenth failure answered %d", rec.Code)
		}
	}
	if rec, _ := serve(t, svc, addr, keyAcme, "GET", TitlesPath, nil); rec.Code != 429 {
		t.Fatalf("after ten failures interleaved with successes: %d, want 429", rec.Code)
	}
}

// The lock-out holds through the real server too, where every request
// comes from loopback.
func TestFailedKeysLockOutOverHTTP(t *testing.T) {
	_, srv := newTestServer(t, t.TempDir())
	for range DefaultAuthFailures {
		if code := call(t, srv, "guess-0123456789abcdef", "GET", TitlesPath, nil, nil); code != 401 {
			t.Fatalf("wrong key: %d", code)
		}
	}
	var e APIError
	code := call(t, srv, keyAcme, "GET", TitlesPath, nil, &e)
	t.Logf("right key after %d wrong ones over HTTP: %d %+v", DefaultAuthFailures, code, e)
	if code != 429 || e.Code != "rate_limited" {
		t.Fatalf("got %d %+v", code, e)
	}
}

func TestAuthLimiterBounded(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	a := newAuthLimiter(AuthLimits{MaxFailures: 2, Window: time.Minute, MaxClients: 3})
	a.now = clock.now
	for i := range 10 {
		addr := fmt.Sprintf("192.0.2.%d", i)
		a.fail(addr)
		a.fail(addr)
		clock.add(time.Second)
		if n := a.tracked(); n > 3 {
			t.Fatalf("after %d addresses %d tracked", i+1, n)
		}
	}
	// The newest three are remembered, the oldest forgotten.
	for i, want := range map[int]bool{0: false, 6: false, 7: true, 9: true} {
		if _, blocked := a.blocked(fmt.Sprintf("192.0.2.%d", i)); blocked != want {
			t.Errorf("192.0.2.%d blocked %v, want %v", i, blocked, want)
		}
	}
	// Ended windows are let go of.
	clock.add(time.Minute)
	a.fail("192.0.2.100")
	if n := a.tracked(); n != 1 {
		t.Errorf("after the windows ended %d tracked, want 1", n)
	}
}

func TestConfigLimitsValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"defaults", func(*Config) {}, nil},
		{"every limit negative", func(c *Config) {
			c.Limits = Limits{MaxTitles: -1, MaxVersions: -1, ReservedIDs: []string{" "}}
			c.Auth = AuthLimits{MaxFailures: -1, Window: -time.Second, MaxClients: -1}
		}, []string{"max titles", "max versions", "reserved id [0]", "auth max failures", "auth window", "auth max clients"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			c.change(&cfg)
			err := cfg.Validate()
			if len(c.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}
