package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"stratus/internal/clustertest"
	"stratus/signaling/studio"
)

// The process runtime end to end: a studio onboards real programs from
// Debian's packages through the studio API (the `stratus title` command),
// the edge runs each on its own virtual display, and a player in headless
// Chromium sees, hears and controls them. When the session ends, nothing
// of it is left running.

const (
	onboardDevKey   = "onboard-dev-key-0123456789"
	onboardRivalKey = "onboard-rival-key-0123456789"
)

// onboardStack serves the stack with a studio API and a titles directory
// holding the installed programs.
type onboardStack struct {
	base   string
	titles string
	runDir string
}

func newOnboardStack(t *testing.T) *onboardStack {
	t.Helper()
	for _, bin := range []string{"Xvfb", "glxgears", "xev", "pacat", "pulseaudio"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not found: run `make setup-test` (Debian packages xvfb mesa-utils x11-utils pulseaudio pulseaudio-utils)", bin)
		}
	}
	s := &onboardStack{titles: gameDir(t), runDir: gameDir(t)}
	s.install(t)
	data := t.TempDir()
	s.base = startStack(t, func(c *serveConfig) {
		c.Signal.Studio = &studio.Config{DataDir: data, DevKey: onboardDevKey, Keys: map[string][]string{"rival": {onboardRivalKey}}}
		c.titles = titleFlags{dir: s.titles, runDir: s.runDir}
	})
	return s
}

// install lays out what an operator installs: the programs copied into
// each title's directory, and a start script where the game needs one.
func (s *onboardStack) install(t *testing.T) {
	t.Helper()
	s.copyBin(t, "gears", "glxgears")
	// "keys" reports every key it gets (xev) and plays a tone meanwhile,
	// from a helper in the background: the session must end both.
	s.copyBin(t, "keys", "xev")
	writeFile(t, filepath.Join(s.titles, "keys", "tone.raw"), string(tone(440, 0.3, time.Second)), 0o644)
	writeFile(t, filepath.Join(s.titles, "keys", "run.sh"), `#!/bin/sh
(while :; do pacat --raw --rate=48000 --channels=2 --format=s16le < tone.raw || sleep 0.2; done) &
exec ./xev -event keyboard "$@"
`, 0o755)
	writeFile(t, filepath.Join(s.titles, "quits", "start.sh"), `#!/bin/sh
echo "loading data.pak"
echo "fatal: data.pak is missing" >&2
exit 3
`, 0o755)
	// "missing" has a directory but not its program.
	if err := os.MkdirAll(filepath.Join(s.titles, "missing"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// gameDir is a temporary directory that sandboxed games' uids may pass
// through to their install and session directories, as on an edge (Go
// makes test directories private).
func gameDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// copyBin installs the program bin, found in PATH, as title id's.
func (s *onboardStack) copyBin(t *testing.T, id, bin string) {
	t.Helper()
	src, err := exec.LookPath(bin)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(s.titles, id, bin), string(data), 0o755)
}

func writeFile(t *testing.T, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}

// tone is a stereo sine at 48 kHz in signed 16-bit little endian.
func tone(hz, amp float64, d time.Duration) []byte {
	n := int(48000 * d.Seconds())
	out := make([]byte, 0, n*4)
	for i := range n {
		v := int16(amp * 32767 * math.Sin(2*math.Pi*hz*float64(i)/48000))
		out = binary.LittleEndian.AppendUint16(out, uint16(v))
		out = binary.LittleEndian.AppendUint16(out, uint16(v))
	}
	return out
}

// title runs `stratus title` against the stack with key.
func (s *onboardStack) title(t *testing.T, key string, args ...string) (string, error) {
	t.Helper()
	full := append([]string{args[0], "-signal", s.base, "-studio-key", key}, args[1:]...)
	return titleRun(t, full...)
}

func (s *onboardStack) add(t *testing.T, manifestJSON string) {
	t.Helper()
	out, err := s.title(t, onboardDevKey, "add", writeManifest(t, manifestJSON))
	if err != nil {
		t.Fatalf("title add: %v\n%s", err, out)
	}
}

// waitOffered waits until the signaling node routes players to ids: its
// view of the edge is a poll or a gossip round behind the edge itself.
func (s *onboardStack) waitOffered(t *testing.T, ids ...string) {
	t.Helper()
	poll(t, 10*time.Second, "the signaling node to see the titles offered", func() (bool, string) {
		var edges []edgeView
		if err := clustertest.GetJSON(clustertest.OperatorClient(stackOperatorToken), s.base+"/v1/edges", &edges); err != nil || len(edges) == 0 {
			return false, fmt.Sprint(edges, err)
		}
		for _, id := range ids {
			if !slices.Contains(edges[0].Titles, id) {
				return false, fmt.Sprint(edges[0].Titles)
			}
		}
		return true, ""
	})
}

const (
	gearsManifest = `{"id":"gears","name":"Gears","version":"1.0.0","runtime":"process","command":"glxgears",
		"args":["-geometry","640x360+0+0"],"width":640,"height":360,"fps":30,
		"input":{"keyboard":true,"mouse":true,"touch":{"layout":"pointer"}}}`
	keysManifest = `{"id":"keys","name":"Key Echo","version":"1.0.0","runtime":"process","command":"run.sh",
		"args":["-geometry","640x360+0+0"],"width":640,"height":360,"fps":30,"audio":true,
		"input":{"keyboard":true}}`
	quitsManifest = `{"id":"quits","name":"Quits At Once","version":"1.0.0","runtime":"process","command":"start.sh",
		"width":640,"height":360,"fps":30,"input":{"keyboard":true}}`
	missingManifest = `{"id":"missing","name":"Not Installed","version":"1.0.0","runtime":"process","command":"bin/game",
		"width":640,"height":360,"fps":30,"input":{"keyboard":true}}`
)

// frameSig is JavaScript that draws the current video frame small and
// returns its brightness sum and a hash, to tell frames apart.
const frameSig = `(() => {
  const v = stratus.video, c = document.createElement('canvas');
  c.width = 80; c.height = 45;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0, c.width, c.height);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let h = 0, sum = 0;
  for (let i = 0; i < d.length; i += 4) { h = (h * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) >>> 0; sum += d[i] + d[i + 1] + d[i + 2]; }
  return sum + ':' + h;
})()`

func TestOnboardProcessTitles(t *testing.T) {
	s := newOnboardStack(t)
	for _, m := range []string{gearsManifest, keysManifest, quitsManifest, missingManifest} {
		s.add(t, m)
	}
	s.waitOffered(t, "gears", "keys", "quits")
	locksBefore := xLocks()

	t.Run("catalog", func(t *testing.T) {
		ctx := newBrowser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `document.body.innerText.includes("Gears") && document.body.innerText.includes("Key Echo")`, "studio titles in the catalog", 20*time.Second)
		text := eval[string](t, ctx, `document.body.innerText`)
		if strings.Contains(text, "Not Installed") {
			t.Errorf("the catalog offers a title no edge can run:\n%s", text)
		}
		// The studio sees which edges run each title, and why not.
		out, err := s.title(t, onboardDevKey, "list")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"gears", "1/1", "missing on e2e-edge: process: title \"missing\": command bin/game: not found in the install directory"} {
			if !strings.Contains(out, want) {
				t.Errorf("title list lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("gears: frames arrive and change", func(t *testing.T) {
		ctx := newBrowser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/play?title=gears")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.framesPresented > 10`, "frames of glxgears", 30*time.Second)
		if w, h := eval[int](t, ctx, `stratus.video.videoWidth`), eval[int](t, ctx, `stratus.video.videoHeight`); w != 640 || h != 360 {
			t.Fatalf("video %dx%d, want the manifest's 640x360", w, h)
		}
		seen := map[string]bool{}
		deadline := time.Now().Add(10 * time.Second)
		for len(seen) < 3 {
			sig := eval[string](t, ctx, frameSig)
			if !strings.HasPrefix(sig, "0:") {
				seen[sig] = true
			}
			if time.Now().After(deadline) {
				t.Fatalf("frames do not change: %d distinct non-black frames in 10 s (%v)", len(seen), seen)
			}
			time.Sleep(100 * time.Millisecond)
		}
		leave(t, ctx, s, locksBefore)
	})

	t.Run("keys: a key reaches the program, its sound reaches the page", func(t *testing.T) {
		ctx := newBrowser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/play?title=keys")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.framesPresented > 10`, "frames of xev", 30*time.Second)
		session := eval[string](t, ctx, `stratus.session`)
		logPath := filepath.Join(s.runDir, "logs", session+".log")
		// The first click unmutes and starts the page's sound meter.
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(320, 180)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent("k")); err != nil {
			t.Fatal(err)
		}
		poll(t, 10*time.Second, "xev to report the key press", func() (bool, string) {
			b, _ := os.ReadFile(logPath)
			return strings.Contains(string(b), "KeyPress event") && strings.Contains(string(b), "keysym 0x6b, k"), string(b)
		})
		waitFor(t, ctx, `stratus.audioEnergy > 0.002 && stratus.audioPeak > -30`, "the game's tone to be heard in the page", 15*time.Second)
		t.Logf("sound in the page: energy %.4f, peak %.1f dBFS", eval[float64](t, ctx, `stratus.audioEnergy`), eval[float64](t, ctx, `stratus.audioPeak`))
		leave(t, ctx, s, locksBefore)
	})

	t.Run("a game that exits at once ends the session with its reason", func(t *testing.T) {
		ctx := newBrowser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/play?title=quits")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `window.stratus && stratus.state === "ended"`, "the page to show the game ended", 30*time.Second)
		reason := eval[string](t, ctx, `stratus.reason`)
		text := eval[string](t, ctx, `document.body.innerText`)
		for _, want := range []string{"exit status 3", "data.pak is missing"} {
			if !strings.Contains(reason, want) || !strings.Contains(text, want) {
				t.Errorf("reason %q / page text lack %q:\n%s", reason, want, text)
			}
		}
		noSessionLeft(t, s, eval[string](t, ctx, `stratus.session`), locksBefore)
	})

	t.Run("a title is playable as soon as it is published", func(t *testing.T) {
		s.installLike(t, "gears-now", "gears")
		s.add(t, strings.Replace(gearsManifest, `"id":"gears"`, `"id":"gears-now"`, 1))
		ctx := newBrowser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/play?title=gears-now")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.framesPresented > 10`, "the just-published title to play", 30*time.Second)
		leave(t, ctx, s, locksBefore)
	})

	t.Run("a title no edge can run is refused", func(t *testing.T) {
		ctx := newBrowser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/play?title=missing")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `window.stratus && stratus.state === "error" && stratus.error`, "the page to refuse the title", 20*time.Second)
		if xLocks() != locksBefore {
			t.Errorf("a display was started for a title that cannot run: %s, before %s", xLocks(), locksBefore)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		tests := []struct {
			name     string
			key      string
			args     []string
			manifest string
			want     []string
		}{
			{"bad manifest", onboardDevKey, []string{"add"}, `{"id":"X","name":"","version":"one","runtime":"process","command":"run","width":99999,"input":{}}`,
				[]string{"id:", "name:", "version:", "width:", "input:"}},
			{"unknown runtime", onboardDevKey, []string{"add"}, `{"id":"wasm-game","name":"W","version":"1.0.0","runtime":"wasm","input":{"keyboard":true}}`,
				[]string{"runtime:", `unknown runtime "wasm"`}},
			{"command outside the install directory", onboardDevKey, []string{"add"}, `{"id":"escape","name":"E","version":"1.0.0","runtime":"process","command":"../../../bin/sh","input":{"keyboard":true}}`,
				[]string{"command:", `must not contain ".."`}},
			{"absolute command", onboardDevKey, []string{"add"}, `{"id":"escape","name":"E","version":"1.0.0","runtime":"process","command":"/bin/sh","input":{"keyboard":true}}`,
				[]string{"command:", "absolute"}},
			{"another studio's title", onboardRivalKey, []string{"rm", "gears"}, "", []string{"belongs to another studio"}},
			{"another studio's id", onboardRivalKey, []string{"add"}, strings.Replace(gearsManifest, `"1.0.0"`, `"9.0.0"`, 1), []string{"taken by another studio"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				args := tc.args
				if tc.manifest != "" {
					args = append(args, writeManifest(t, tc.manifest))
				}
				out, err := s.title(t, tc.key, args...)
				if err == nil {
					t.Fatalf("accepted: %s", out)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q:\n%v", w, err)
					}
				}
			})
		}
		// Nothing of that reached the edge or changed the titles.
		out, err := s.title(t, onboardDevKey, "list")
		if err != nil || strings.Contains(out, "escape") || strings.Contains(out, "wasm") || !regexp.MustCompile(`gears +1\.0\.0 +Gears +live`).MatchString(out) {
			t.Fatalf("titles after refused changes: %v\n%s", err, out)
		}
	})
}

// leave ends the page's session and checks that nothing of it is left.
func leave(t *testing.T, ctx context.Context, s *onboardStack, locksBefore string) {
	t.Helper()
	session := eval[string](t, ctx, `stratus.session`)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	noSessionLeft(t, s, session, locksBefore)
}

// noSessionLeft waits until no process carries the session's marker, no X
// display is left over and the session's files are gone.
func noSessionLeft(t *testing.T, s *onboardStack, session, locksBefore string) {
	t.Helper()
	if session == "" {
		t.Fatal("the page names no session")
	}
	marker := "STRATUS_SESSION=" + session
	poll(t, 15*time.Second, "the session's processes, display and files to be gone", func() (bool, string) {
		pids := markedPIDs(marker)
		locks := xLocks()
		_, recErr := os.Stat(filepath.Join(s.runDir, "sessions", session+".json"))
		left := fmt.Sprintf("processes %v, X locks %q (before %q), record present %v", pids, locks, locksBefore, recErr == nil)
		return len(pids) == 0 && locks == locksBefore && os.IsNotExist(recErr), left
	})
}

// markedPIDs lists the processes whose environment holds marker.
func markedPIDs(marker string) []string {
	var out []string
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		if d.Name()[0] < '0' || d.Name()[0] > '9' {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", d.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(string(env), "\x00") {
			if kv == marker {
				out = append(out, d.Name())
			}
		}
	}
	return out
}

// xLocks lists the X displays' lock files, to see none is left over.
func xLocks() string {
	m, _ := filepath.Glob("/tmp/.X*-lock")
	return strings.Join(m, ",")
}
