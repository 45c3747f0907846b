package web

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"stratus/input"
	"stratus/title/manifest"
)

func get(t *testing.T, srv *httptest.Server, p string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + p)
	if err != nil {
		t.Fatalf("GET %s: %v", p, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", p, err)
	}
	return resp, string(body)
}

// wantType is the Content-Type a browser must see for each extension we
// ship; module scripts in particular are refused under any other type.
func wantType(p string) string {
	switch path.Ext(p) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	return ""
}

func checkOK(t *testing.T, srv *httptest.Server, p, typ string) string {
	t.Helper()
	resp, body := get(t, srv, p)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", p, resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Type"); got != typ {
		t.Errorf("GET %s: Content-Type %q, want %q", p, got, typ)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("GET %s: Cache-Control %q, want no-cache", p, got)
	}
	if resp.Header.Get("ETag") == "" {
		t.Errorf("GET %s: no ETag", p)
	}
	if len(body) == 0 {
		t.Errorf("GET %s: empty body", p)
	}
	return body
}

func TestPages(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()

	index := checkOK(t, srv, "/", "text/html; charset=utf-8")
	if !strings.Contains(index, "/static/js/catalog.js") {
		t.Error("catalog page does not load catalog.js")
	}
	play := checkOK(t, srv, "/play?title=arcade", "text/html; charset=utf-8")
	if !strings.Contains(play, "/static/js/play.js") {
		t.Error("play page does not load play.js")
	}
	for _, want := range []string{"autoplay", "playsinline", "muted"} {
		if !regexp.MustCompile(`<video[^>]*\b` + want + `\b`).MatchString(play) {
			t.Errorf("play page video lacks %s", want)
		}
	}
	checkOK(t, srv, "/play", "text/html; charset=utf-8")
	checkOK(t, srv, "/static/js/play.js", "text/javascript; charset=utf-8")
	checkOK(t, srv, "/static/css/stratus.css", "text/css; charset=utf-8")
	checkOK(t, srv, "/static/img/icon.svg", "image/svg+xml")
}

var (
	scriptSrc = regexp.MustCompile(`<script\b[^>]*\bsrc="([^"]+)"`)
	linkHref  = regexp.MustCompile(`<link\b[^>]*\bhref="([^"]+)"`)
	imgSrc    = regexp.MustCompile(`<img\b[^>]*\bsrc="([^"]+)"`)
	jsImport  = regexp.MustCompile(`(?m)^\s*(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'|^\s*import\s+'([^']+)'`)
)

// TestReferencesResolve fetches every script, stylesheet and image the pages
// name, and every module those scripts import, and checks each is served
// with the right type.
func TestReferencesResolve(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()

	seen := map[string]bool{}
	var queue []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			queue = append(queue, p)
		}
	}
	for _, page := range []string{"/", "/play?title=x"} {
		_, body := get(t, srv, page)
		refs := 0
		for _, re := range []*regexp.Regexp{scriptSrc, linkHref, imgSrc} {
			for _, m := range re.FindAllStringSubmatch(body, -1) {
				if !strings.HasPrefix(m[1], "/static/") {
					t.Errorf("%s references %q: want a same-origin /static/ path (no CDNs)", page, m[1])
					continue
				}
				add(m[1])
				refs++
			}
		}
		if refs < 3 {
			t.Errorf("%s: found only %d references; is the regexp stale?", page, refs)
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		body := checkOK(t, srv, p, wantType(p))
		if path.Ext(p) != ".js" {
			continue
		}
		for _, m := range jsImport.FindAllStringSubmatch(body, -1) {
			spec := m[1] + m[2]
			if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
				t.Errorf("%s imports %q: want a relative module path", p, spec)
				continue
			}
			add(path.Join(path.Dir(p), spec))
		}
	}
	if !seen["/static/js/proto.js"] {
		t.Error("module graph did not reach proto.js; is the import regexp stale?")
	}
}

func TestNotFound(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	for _, p := range []string{
		"/nope", "/index.html", "/play/", "/static", "/static/", "/static/js/",
		"/static/js", "/static/nope.js", "/static/../web.go", "/web.go", "/v1/ws",
	} {
		resp, _ := get(t, srv, p)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestMethodsAndRevalidation(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d, want 405", resp.StatusCode)
	}

	resp, _ = get(t, srv, "/static/js/play.js")
	etag := resp.Header.Get("ETag")
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/static/js/play.js", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with ETag %s: status %d, want 304", etag, resp.StatusCode)
	}

	req, _ = http.NewRequest(http.MethodHead, srv.URL+"/play", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("HEAD /play: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestProtoMatchesGo runs the page's encoder (static/js/proto.js) under
// Node and checks its bytes against package input's Append, so the two
// halves of the wire format cannot drift apart. It is skipped where Node is
// not installed.
func TestProtoMatchesGo(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	dir := t.TempDir()
	src, err := staticFS.ReadFile("static/js/proto.js")
	if err != nil {
		t.Fatal(err)
	}
	// .mjs makes Node treat the copy as an ES module.
	if err := os.WriteFile(filepath.Join(dir, "proto.mjs"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import * as p from './proto.mjs';
const hex = (b) => Buffer.from(b).toString('hex');
const out = [
  p.key(true, 65, p.MOD_SHIFT | p.MOD_CTRL),
  p.key(false, 37, 0),
  p.mouseButton(2, true),
  p.mouseButton(0, false),
  p.mouseMove(65535, 12345, 65535, -7, 2147483647),
  p.mouseMove(1, -5, 70000, 2147483648, -2147483649),
  p.wheel(-120, 40000),
  p.gamepad(513, { index: 3, buttons: (1 << 0) | (1 << 9) | (1 << 16), axes: [-1, 1, 0.5, -0.25], lt: 1, rt: 0.5 }),
  p.touch(4, p.TOUCH_MOVE, 100, 65535),
  p.ping(4000000000, 1234.5),
  p.present(16.667, 1.23, 9.87, 60, 2),
  p.receive(70000, 1234.4, 250.6, 5e9),
];
console.log(out.map(hex).join('\n'));
`
	if err := os.WriteFile(filepath.Join(dir, "main.mjs"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "main.mjs")
	cmd.Dir = dir
	outb, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, outb)
	}
	got := strings.Split(strings.TrimSpace(string(outb)), "\n")

	half := func(v float64) int16 { return int16(math.Round(v * 32767)) }
	want := []input.Event{
		{Kind: input.KindKeyDown, Code: 65, Mods: input.ModShift | input.ModCtrl},
		{Kind: input.KindKeyUp, Code: 37},
		{Kind: input.KindMouseButton, Button: 2, Down: true},
		{Kind: input.KindMouseButton, Button: 0},
		{Kind: input.KindMouseMove, Seq: 65535, X: 12345, Y: 65535, AccX: -7, AccY: math.MaxInt32},
		// Out-of-range positions clamp; running sums wrap like int32.
		{Kind: input.KindMouseMove, Seq: 1, X: 0, Y: 65535, AccX: math.MinInt32, AccY: math.MaxInt32},
		{Kind: input.KindWheel, DX: -120, DY: math.MaxInt16},
		{Kind: input.KindGamepad, Seq: 513, Pad: 3, Buttons: 1 | 1<<9 | 1<<16,
			Axes: [4]int16{-32767, 32767, half(0.5), half(-0.25)}, LT: 255, RT: 128},
		{Kind: input.KindTouch, TouchID: 4, Phase: input.TouchMove, X: 100, Y: 65535},
		{Kind: input.KindPing, PingID: 4000000000, ClientMs: 1234.5},
		{Kind: input.KindPresent, Refresh: 16667 * time.Microsecond, WaitP10: 1230 * time.Microsecond, WaitP50: 9870 * time.Microsecond, Frames: 60, Missed: 2},
		// Counts saturate at their width.
		{Kind: input.KindReceive, Freezes: 65535, FreezeTime: 1234 * time.Millisecond, LongestFreeze: 251 * time.Millisecond, FECUsed: math.MaxUint32},
	}
	if len(got) != len(want) {
		t.Fatalf("node printed %d encodings, want %d:\n%s", len(got), len(want), outb)
	}
	for i, e := range want {
		w := hex.EncodeToString(input.Append(nil, e))
		if got[i] != w {
			t.Errorf("%v:\n js %s\n go %s", e, got[i], w)
		}
		// And the Go decoder accepts what the page sends.
		b, _ := hex.DecodeString(got[i])
		if _, err := input.Decode(nil, b); err != nil {
			t.Errorf("%v: decode of page bytes: %v", e, err)
		}
	}
}

// nodeModules copies static/js files into a temporary directory as .mjs,
// so Node loads them as ES modules, and returns the directory. It skips
// the test where Node is not installed.
func nodeModules(t *testing.T, names ...string) (node, dir string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	dir = t.TempDir()
	for _, n := range names {
		src, err := staticFS.ReadFile("static/js/" + n + ".js")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n+".mjs"), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return node, dir
}

func runNode(t *testing.T, node, dir, script string) []byte {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "main.mjs"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "main.mjs")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node: %v\n%s%s", err, out, stderr)
	}
	return out
}

// TestProbeJS runs the page's RTT probing (static/js/probe.js) under Node
// against probe endpoints like the edge's (edge/probe.go): three requests
// per edge, the smallest kept, a slow edge measured as slow, and edges that
// hang or fail left out without holding the join past the budget.
func TestProbeJS(t *testing.T) {
	node, dir := nodeModules(t, "probe")
	var fastHits, slowHits atomic.Int32
	probe := func(delay time.Duration, code int, hits *atomic.Int32) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if hits != nil {
				hits.Add(1)
			}
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Timing-Allow-Origin", "*")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(code)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/fast/v1/probe", probe(0, http.StatusNoContent, &fastHits))
	mux.Handle("/slow/v1/probe", probe(60*time.Millisecond, http.StatusNoContent, &slowHits))
	mux.Handle("/hang/v1/probe", probe(10*time.Second, http.StatusNoContent, nil))
	mux.Handle("/broken/v1/probe", probe(0, http.StatusInternalServerError, nil))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	script := `
import { measure, withRegions, Prober } from './probe.mjs';
const base = ` + "`" + srv.URL + "`" + `;
const probes = [
  { edge: 'fast', region: 'eu', url: base + '/fast/v1/probe' },
  { edge: 'slow', region: 'eu', url: base + '/slow/v1/probe' },
  { edge: 'hang', region: 'us', url: base + '/hang/v1/probe' },
  { edge: 'broken', region: 'us', url: base + '/broken/v1/probe' },
  { edge: '', url: base + '/fast/v1/probe' },
  { region: 'us', url: base + '/fast/v1/probe' },
  null,
];
const t0 = performance.now();
const rtts = await measure(probes, { budgetMs: 500 });
const elapsed = performance.now() - t0;
const p = new Prober({ budgetMs: 300 });
const before = { fresh: p.fresh(), measured: p.measured() };
await p.measure(probes.slice(0, 2));
const after = { fresh: p.fresh(), measured: p.measured(), join: p.forJoin() };
// The next page finds the results, unless they are old or garbage.
const mem = (init) => { const m = new Map(init); return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, v), m }; };
const store = mem();
const q = new Prober({ budgetMs: 300, storage: store });
await q.measure(probes.slice(0, 2));
const next = new Prober({ storage: store });
const carried = { carried: next.carried, measured: next.measured(), join: next.forJoin() };
const old = mem([['stratus.rtts', JSON.stringify({ at: Date.now() - 11 * 60 * 1000, rtts: { fast: 1 } })]]);
const junk = mem([['stratus.rtts', JSON.stringify({ at: Date.now(), rtts: { fast: 'near', x: -1 } })]]);
const future = mem([['stratus.rtts', JSON.stringify({ at: 1e99, rtts: { fast: 1 } })]]);
const refused = [old, junk, future, mem([['stratus.rtts', '{']])].map((storage) => new Prober({ storage }).carried);
console.log(JSON.stringify({ rtts, elapsed, regions: withRegions(rtts, { fast: 'eu', slow: 'eu' }), before, after, carried, refused }));
`
	var got struct {
		RTTs    map[string]float64 `json:"rtts"`
		Elapsed float64            `json:"elapsed"`
		Regions map[string]float64 `json:"regions"`
		Before  struct{ Fresh, Measured bool }
		After   struct {
			Fresh, Measured bool
			Join            map[string]float64
		}
		Carried struct {
			Carried, Measured bool
			Join              map[string]float64
		}
		Refused []bool
	}
	out := runNode(t, node, dir, script)
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	t.Logf("%s", out)
	fast, okFast := got.RTTs["fast"]
	slow, okSlow := got.RTTs["slow"]
	if !okFast || !okSlow {
		t.Fatalf("rtts %v: want fast and slow measured", got.RTTs)
	}
	if slow < 60 || slow <= fast {
		t.Errorf("slow edge %v ms, fast %v ms: want slow ≥ 60 ms (its delay) and above fast", slow, fast)
	}
	for _, e := range []string{"hang", "broken", ""} {
		if v, ok := got.RTTs[e]; ok {
			t.Errorf("edge %q measured as %v ms: want it left out", e, v)
		}
	}
	if len(got.RTTs) != 2 {
		t.Errorf("rtts %v: want exactly fast and slow", got.RTTs)
	}
	if got.Elapsed > 500+300 {
		t.Errorf("probing took %.0f ms with a 500 ms budget", got.Elapsed)
	}
	if got.Regions["region:eu"] != fast || len(got.Regions) != 3 {
		t.Errorf("with regions %v: want region:eu = fast's %v", got.Regions, fast)
	}
	// Three sequential samples against fast in each of the three runs;
	// one against slow, which is far (over NEAR_FACTOR of fast) after it.
	if n := fastHits.Load(); n != 9 {
		t.Errorf("fast probe fetched %d times, want 3 per run (9)", n)
	}
	if n := slowHits.Load(); n != 3 {
		t.Errorf("slow probe fetched %d times, want once per run (3): a far edge needs no more samples", n)
	}
	if !got.Carried.Carried || !got.Carried.Measured || got.Carried.Join["fast"] == 0 || got.Carried.Join["region:eu"] == 0 {
		t.Errorf("a later page's Prober: %+v, want the kept results, regions included", got.Carried)
	}
	if slices.Contains(got.Refused, true) || len(got.Refused) != 4 {
		t.Errorf("carried old, malformed, future or broken results: %v", got.Refused)
	}
	if got.Before.Fresh || got.Before.Measured || !got.After.Fresh || !got.After.Measured {
		t.Errorf("Prober freshness before %+v after %+v", got.Before, got.After)
	}
	if _, ok := got.After.Join["region:eu"]; !ok {
		t.Errorf("Prober.forJoin %v: want a region:eu entry", got.After.Join)
	}
}

// TestSignalPoolJS checks static/js/signal.js's node list: addresses from
// the greeting become WebSocket URLs, and failures go round-robin with the
// failed node last and a backoff signal only after a full round.
func TestSignalPoolJS(t *testing.T) {
	node, dir := nodeModules(t, "signal")
	script := `
import { wsURL, SignalPool } from './signal.mjs';
const urls = [
  wsURL('http://a.example:8080/some/path', 'http:'),
  wsURL('https://b.example', 'http:'),
  wsURL('https://b.example', 'https:'),
  wsURL('http://c.example', 'https:'),
  wsURL('wss://d.example/v1/ws', 'https:'),
  wsURL('ftp://e.example', 'http:'),
  wsURL('not a url', 'http:'),
];
const p = new SignalPool('ws://origin.example/v1/ws');
p.learn(['http://a.example', 'http://origin.example', 'bogus', 'http://b.example/']);
const list = p.urls.slice();
const steps = [];
for (let i = 0; i < 4; i++) steps.push([p.fail(), p.url]);
p.ok();
steps.push([p.fail(), p.url]);
console.log(JSON.stringify({ urls, list, steps }));
`
	var got struct {
		URLs  []string `json:"urls"`
		List  []string `json:"list"`
		Steps [][2]any `json:"steps"`
	}
	out := runNode(t, node, dir, script)
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	wantURLs := []string{"ws://a.example:8080/v1/ws", "wss://b.example/v1/ws", "wss://b.example/v1/ws", "", "wss://d.example/v1/ws", "", ""}
	if strings.Join(got.URLs, ",") != strings.Join(wantURLs, ",") {
		t.Errorf("wsURL: got %q, want %q", got.URLs, wantURLs)
	}
	wantList := []string{"ws://origin.example/v1/ws", "ws://a.example/v1/ws", "ws://b.example/v1/ws"}
	if strings.Join(got.List, ",") != strings.Join(wantList, ",") {
		t.Errorf("pool after learn: got %q, want %q", got.List, wantList)
	}
	// fail() → full rounds failed (0 while untried nodes remain), then the next URL.
	want := [][2]any{
		{0.0, "ws://a.example/v1/ws"},
		{0.0, "ws://b.example/v1/ws"},
		{1.0, "ws://origin.example/v1/ws"},
		{0.0, "ws://a.example/v1/ws"},
		{0.0, "ws://b.example/v1/ws"},
	}
	for i := range want {
		if i >= len(got.Steps) || got.Steps[i] != want[i] {
			t.Errorf("step %d: got %v, want %v", i, got.Steps, want)
			break
		}
	}
}

// TestLoudnessJS checks static/js/audio.js's level arithmetic under Node on
// one second of the testpattern's sound (100 ms of 880 Hz at 0.2 of full
// scale, then silence) fed in 50 ms windows: the beep reads −17 dBFS (RMS),
// silence the floor, the peak holds the beep for a second, and the energy
// is the integral of the squared signal, 0.2²/2 × 0.1 s = 0.002.
func TestLoudnessJS(t *testing.T) {
	node, dir := nodeModules(t, "audio")
	script := `
import { Loudness, FLOOR_DB, dbfs } from './audio.mjs';
const rate = 48000, win = rate / 20;
const l = new Loudness();
const levels = [];
const buf = new Float32Array(8192);
for (let w = 0; w < 20; w++) {
  // The analyser's buffer: the newest samples last.
  buf.copyWithin(0, win);
  for (let i = 0; i < win; i++) {
    const n = w * win + i;
    buf[buf.length - win + i] = n < rate / 10 ? 0.2 * Math.sin(2 * Math.PI * 880 * n / rate) : 0;
  }
  l.add(buf, win, rate, w * 50);
  levels.push(l.level);
}
const peakNow = l.peak(950), peakLater = l.peak(950 + 1100);
// A late tick: a window longer than the buffer counts only what it holds.
const late = new Loudness();
late.add(new Float32Array(100).fill(0.5), 1000, rate, 0);
console.log(JSON.stringify({ levels, energy: l.energy, seconds: l.seconds, peakNow, peakLater, floor: FLOOR_DB,
  zero: dbfs(0), full: dbfs(1), late: { energy: late.energy, seconds: late.seconds, level: late.level } }));
`
	var got struct {
		Levels    []float64
		Energy    float64
		Seconds   float64
		PeakNow   float64
		PeakLater float64
		Floor     float64
		Zero      float64
		Full      float64
		Late      struct{ Energy, Seconds, Level float64 }
	}
	out := runNode(t, node, dir, script)
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	beep := 20 * math.Log10(0.2/math.Sqrt2)
	near := func(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
	for i, l := range got.Levels {
		want := got.Floor
		if i < 2 {
			want = beep
		}
		if !near(l, want, 0.1) {
			t.Errorf("window %d: %.2f dBFS, want %.2f", i, l, want)
		}
	}
	if !near(got.Energy, 0.002, 0.00002) || !near(got.Seconds, 1, 1e-9) {
		t.Errorf("energy %.6f over %.3f s, want 0.002 over 1 s", got.Energy, got.Seconds)
	}
	if !near(got.PeakNow, beep, 0.1) || got.PeakLater != got.Floor {
		t.Errorf("peak %.2f then %.2f a second later, want %.2f then the floor %.0f", got.PeakNow, got.PeakLater, beep, got.Floor)
	}
	if got.Zero != got.Floor || got.Full != 0 {
		t.Errorf("dbfs(0) = %v, dbfs(1) = %v; want the floor and 0", got.Zero, got.Full)
	}
	if !near(got.Late.Energy, 0.25*100/48000, 1e-12) || !near(got.Late.Seconds, 100.0/48000, 1e-12) || !near(got.Late.Level, 20*math.Log10(0.5), 1e-9) {
		t.Errorf("late window: %+v, want only the 100 samples held counted", got.Late)
	}
}

// TestTouchMapJS checks static/js/touchmap.js, which maps a studio's touch
// profile onto input, against the Go side: every key name input.KeyName
// prints maps to the code manifest.KeyCode accepts, names it does not print
// map to nothing, gamepad button names to manifest.PadButton's bits, and
// the stick presses and releases direction keys with hysteresis.
func TestTouchMapJS(t *testing.T) {
	node, dir := nodeModules(t, "touchmap")
	var names []string
	for code := uint16(1); code < 256; code++ {
		if n := input.KeyName(code); !strings.HasPrefix(n, "key ") {
			names = append(names, n)
		}
	}
	unknown := []string{"", "key 65", "space", "a", "F0", "F13", "F24", "AB", "Left ", "toString", "__proto__"}
	padNames := []string{"A", "B", "X", "Y", "LB", "RB", "LT", "RT", "Select", "Start", "LS", "RS", "Up", "Down", "Left", "Right", "Home", "a", "Back", "toString"}
	all := append(append([]string(nil), names...), unknown...)
	js, _ := json.Marshal(map[string]any{"names": all, "pads": padNames})
	script := `
import { keyCode, padBit, PAD_BITS, STICK_KEYS, stickDirections, STICK_PRESS, STICK_RELEASE } from './touchmap.mjs';
const inp = ` + string(js) + `;
// Anything but a number shows as a string (JSON would drop a function).
const num = (v) => (typeof v === 'number' ? v : String(v));
const keys = inp.names.map((n) => num(keyCode(n)));
const pads = inp.pads.map((n) => num(padBit(n)));
// The stick pushed right and back, with a dip that stays above release,
// then a diagonal, then up and let go.
const path = [[0, 0], [0.4, 0], [0.55, 0], [0.35, 0], [0.25, 0], [0.45, 0], [-0.6, 0.1], [0.71, 0.71], [0.1, -0.9], [0, 0]];
let held = new Set();
const steps = path.map(([x, y]) => { held = stickDirections(x, y, held); return [...held].sort().join('+'); });
console.log(JSON.stringify({ keys, pads, padCount: Object.keys(PAD_BITS).length, stick: STICK_KEYS, steps, press: STICK_PRESS, release: STICK_RELEASE }));
`
	var got struct {
		Keys     []any
		Pads     []any
		PadCount int
		Stick    map[string]map[string]int
		Steps    []string
		Press    float64
		Release  float64
	}
	out := runNode(t, node, dir, script)
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	if len(names) < 36+12+12 {
		t.Fatalf("only %d key names from input.KeyName; is the loop stale?", len(names))
	}
	if len(got.Keys) != len(all) || len(got.Pads) != len(padNames) {
		t.Fatalf("node mapped %d keys and %d pad buttons, want %d and %d", len(got.Keys), len(got.Pads), len(all), len(padNames))
	}
	for i, n := range all {
		want, ok := manifest.KeyCode(n)
		if !ok {
			want = 0 // not a key name: the page maps it to nothing
		}
		if got.Keys[i] != float64(want) {
			t.Errorf("keyCode(%q) = %v, want %d (manifest.KeyCode ok=%v)", n, got.Keys[i], want, ok)
		}
	}
	for i, n := range padNames {
		want, ok := manifest.PadButton(n)
		if !ok {
			want = -1
		}
		if got.Pads[i] != float64(want) {
			t.Errorf("padBit(%q) = %v, want %d", n, got.Pads[i], want)
		}
	}
	if got.PadCount != input.PadButtons {
		t.Errorf("PAD_BITS has %d names, want input.PadButtons = %d", got.PadCount, input.PadButtons)
	}
	wantStick := map[string]map[string]int{
		"arrows": {"left": input.KeyLeft, "right": input.KeyRight, "up": input.KeyUp, "down": input.KeyDown},
		"wasd":   {"left": 'A', "right": 'D', "up": 'W', "down": 'S'},
	}
	for kind, dirs := range wantStick {
		for d, code := range dirs {
			if got.Stick[kind][d] != code {
				t.Errorf("STICK_KEYS.%s.%s = %d, want %d (%s)", kind, d, got.Stick[kind][d], code, input.KeyName(uint16(code)))
			}
		}
	}
	wantSteps := []string{"", "", "right", "right", "", "", "left", "down+right", "up", ""}
	if strings.Join(got.Steps, ",") != strings.Join(wantSteps, ",") {
		t.Errorf("stick directions %q, want %q (press at %v, release under %v)", got.Steps, wantSteps, got.Press, got.Release)
	}
	if !(got.Release < got.Press) {
		t.Errorf("release threshold %v not below press %v: no hysteresis", got.Release, got.Press)
	}
}
