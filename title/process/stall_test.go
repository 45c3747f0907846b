package process

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"stratus/encoder"
	"stratus/encoder/x264"
	"stratus/input"
	sess "stratus/session"
)

// Process titles are what the session's watchdog kills when a call stalls.
var (
	_ sess.Killer = (*Instance)(nil)
	_ sess.Killer = (*game)(nil)
	_ sess.Killer = (*soundGame)(nil)
)

// stopOwnXvfb is a hostile game: after a moment of honest frames it finds
// its own session's X server (same user, the session's marker in its
// environment) and stops it with SIGSTOP, which leaves every capture
// waiting for an answer that never comes; then it sleeps on.
const stopOwnXvfb = `sleep 0.5
for d in /proc/[0-9]*; do
  [ "$(cat $d/comm 2>/dev/null)" = Xvfb ] || continue
  tr '\0' '\n' < $d/environ 2>/dev/null | grep -qx "STRATUS_SESSION=$STRATUS_SESSION" || continue
  kill -STOP ${d#/proc/} && echo "stopped Xvfb ${d#/proc/}"
done
exec sleep 600`

// nullSink is a player's connection that takes every frame and sends no
// input.
type nullSink struct{}

func (nullSink) WriteVideo([]byte, bool, time.Duration) error { return nil }
func (nullSink) ReadInput(dst []input.Event) []input.Event    { return dst }

// TestGameStopsItsDisplay is the attack: a game stops its own X server.
// The session ends within the watchdog's deadline with a stall in capture,
// the game and its server are killed though stopped, nothing of the
// session is left running, and ending the runtime (what the edge's Close
// does first) is prompt even while a capture hangs. A sandboxed game
// cannot see its X server's process at all (TestSandboxContains), so this
// runs the game unconfined, as -unsafe-no-sandbox would.
func TestGameStopsItsDisplay(t *testing.T) {
	const deadline = time.Second
	// The watchdog looks 8 times per deadline; killing and a loaded test
	// machine take the rest.
	const margin = 2 * time.Second
	// What an operator waits for an edge to shut down.
	const shutdownLimit = 5 * time.Second
	for _, how := range []string{"watchdog", "runtime closed"} {
		t.Run(how, func(t *testing.T) {
			r := newRuntimeWith(t, Config{RunDir: t.TempDir(), UnsafeNoSandbox: true})
			i := start(t, r, installDir(t, map[string]string{"game": stopOwnXvfb}), testManifest("game"))
			id := session(t)
			enc, err := x264.New(encoder.Config{Width: 640, Height: 360, FPS: 30, Bitrate: 1_000_000, Threads: 1}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			stall := deadline
			if how == "runtime closed" {
				stall = time.Minute // the runtime's end must free the capture, not the watchdog
			}
			s, err := sess.New(sess.Config{ID: id, Title: i, Encoder: enc, Sink: nullSink{}, StallAfter: stall}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			go s.Run(context.Background())
			eventually(t, 10*time.Second, "the game never stopped its X server", func() bool {
				return strings.Contains(readLog(t, i), "stopped Xvfb")
			})
			start := time.Now()
			t.Logf("attack: the game ran %q; its log says %q", "kill -STOP <its Xvfb>", strings.TrimSpace(readLog(t, i)))
			if how == "runtime closed" {
				if err := r.Close(); err != nil {
					t.Logf("runtime Close: %v", err)
				}
				t.Logf("attack: runtime Close with a capture hanging on the stopped server returned in %v", time.Since(start).Round(time.Millisecond))
			}
			select {
			case <-s.Done():
			case <-time.After(deadline + margin + 5*time.Second):
				t.Fatalf("session still running %v after the game stopped its X server", time.Since(start))
			}
			took := time.Since(start)
			t.Logf("attack: the session ended %v after the server stopped: %v", took.Round(time.Millisecond), s.Err())
			// Ending the runtime gives the game and its server their grace
			// period first (SIGTERM waits on a stopped process), then
			// kills them: an edge's shutdown still ends within 5 s.
			limit := deadline + margin
			if how == "runtime closed" {
				limit = shutdownLimit
			}
			if took > limit {
				t.Errorf("the session took %v to end, want at most %v", took, limit)
			}
			var se *sess.StallError
			switch {
			case how == "watchdog" && (!errors.As(s.Err(), &se) || se.Stage != sess.StageCapture):
				t.Errorf("ended with %v, want a stall in capture", s.Err())
			case how == "runtime closed" && errors.Is(s.Err(), sess.ErrStalled):
				t.Errorf("ended with %v, want the capture to fail once the runtime ended the game", s.Err())
			}
			// The stopped server was killed, and the capture it held
			// returned: the session's goroutine closed the title, so
			// nothing of the session runs and its display is gone.
			eventually(t, 5*time.Second, "processes of the session still run", func() bool { return len(marked(id)) == 0 })
			eventually(t, 5*time.Second, "the display's lock file is still there", func() bool { return !fileExists(lockFile(i.display)) })
			t.Logf("attack: %v after, no process of the session is left and display %s is gone", time.Since(start).Round(time.Millisecond), i.Display())
		})
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
