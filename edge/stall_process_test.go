package edge

import (
	"bytes"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"stratus/title/catalog"
	"stratus/title/manifest"
	"stratus/title/process"
)

// freezer is a hostile studio game: after a moment of honest frames it
// stops its own session's X server (SIGSTOP), found by the session marker
// in the server's environment, which leaves every capture waiting.
const freezer = `#!/bin/sh
sleep 0.5
for d in /proc/[0-9]*; do
  [ "$(cat $d/comm 2>/dev/null)" = Xvfb ] || continue
  tr '\0' '\n' < $d/environ 2>/dev/null | grep -qx "STRATUS_SESSION=$STRATUS_SESSION" || continue
  kill -STOP ${d#/proc/} && echo "stopped Xvfb ${d#/proc/}"
done
exec sleep 600
`

// TestGameStopsItsDisplayOnTheEdge is the attack on a real edge with the
// process runtime: the game stops its X server. The watchdog ends the
// session and frees the slot; or, with a watchdog too slow to matter, the
// edge's Close ends the game first and returns promptly. Either way no
// process of the session is left. It builds its edge without the goroutine
// leak check: after a server is killed under a capture, Xlib's close of
// that connection may never return, and the runtime leaves it behind on
// purpose (title/process closeDisplay).
func TestGameStopsItsDisplayOnTheEdge(t *testing.T) {
	// What an operator waits for an edge to stop or a slot to come back.
	const limit = 5 * time.Second
	for _, how := range []string{"watchdog", "edge closed"} {
		t.Run(how, func(t *testing.T) {
			titles := t.TempDir()
			if err := os.MkdirAll(filepath.Join(titles, "freezer"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(titles, "freezer", "game.sh"), []byte(freezer), 0o755); err != nil {
				t.Fatal(err)
			}
			log := slog.New(slog.DiscardHandler)
			// Unconfined: in its sandbox the game could not see its X
			// server to stop it (title/process's TestSandboxContains).
			rt, err := process.NewRuntime(process.Config{RunDir: t.TempDir(), Log: log, UnsafeNoSandbox: true})
			if err != nil {
				t.Fatal(err)
			}
			games := process.NewGames(rt)
			if err := games.Available(); err != nil {
				t.Fatalf("process titles cannot run here: %v", err)
			}
			t.Cleanup(func() { games.Close() })
			e, c, _ := startTestEdge(t, catalogWith(t), 2, func(c *Config) {
				c.TitlesDir, c.Runtime = titles, games
				c.StallAfter = time.Second
				if how == "edge closed" {
					c.StallAfter = time.Minute // Close must not rely on the watchdog
				}
			})
			e.titles.apply(catalog.Snapshot{Revision: 1, Titles: []manifest.Manifest{{
				ID: "freezer", Name: "Freezer", Version: "1.0.0", Runtime: manifest.RuntimeProcess,
				Command: "game.sh", Width: 640, Height: 360, FPS: 30, Input: manifest.Input{Keyboard: true},
			}}})

			p := joinPlayerTo(t, c, "freezer")
			marker := "STRATUS_SESSION=" + p.id
			joined := time.Now()
			// The game stops its server half a second in and the capture
			// hangs from then on; everything below polls.
			switch how {
			case "watchdog":
				waitFor(t, limit, "the slot to come back", func() bool { return e.Status().Free == 2 })
				t.Logf("attack: a game that stops its X server; the slot came back %v after the join", time.Since(joined).Round(time.Millisecond))
				if r := endedReason(t, p, limit); !strings.Contains(r, "stopped responding") {
					t.Errorf("the player read %q", r)
				} else {
					t.Logf("attack: the player read %q", r)
				}
			case "edge closed":
				waitFor(t, limit, "the game to stop its X server", func() bool { return stoppedXvfb(marker) })
				start := time.Now()
				if err := e.Close(); err != nil {
					t.Logf("Close: %v", err)
				}
				took := time.Since(start)
				t.Logf("attack: edge Close with the game's X server stopped under a capture: returned in %v", took.Round(time.Millisecond))
				if took > limit {
					t.Errorf("Close took %v, want at most %v", took, limit)
				}
			}
			waitFor(t, limit, "the session's processes to be gone", func() bool { return len(sessionProcs(marker)) == 0 })
			t.Logf("attack: %v after the join, no process of the session is left", time.Since(joined).Round(time.Millisecond))
		})
	}
}

// sessionProcs maps each live process whose environment holds marker to
// its command name and state letter, as "Xvfb T".
func sessionProcs(marker string) map[string]string {
	out := map[string]string{}
	paths, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, p := range paths {
		env, err := os.ReadFile(p)
		if err != nil || !slices.Contains(strings.Split(string(env), "\x00"), marker) {
			continue
		}
		// The name is in parentheses and may hold spaces; the state
		// letter follows it.
		stat, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "stat"))
		open, shut := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if open < 0 || shut < open || shut+2 >= len(stat) || stat[shut+2] == 'Z' || stat[shut+2] == 'X' {
			continue // gone, or dead and waiting to be reaped
		}
		out[filepath.Base(filepath.Dir(p))] = string(stat[open+1:shut]) + " " + string(stat[shut+2])
	}
	return out
}

// stoppedXvfb reports whether the session's X server is stopped.
func stoppedXvfb(marker string) bool {
	return slices.Contains(slices.Collect(maps.Values(sessionProcs(marker))), "Xvfb T")
}
