package process

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// leaky is a game that leaves work behind: a background child in its
// process group, one that escaped into a session of its own (setsid), then
// the real program.
const leaky = "sleep 1000 & setsid sleep 1001 & exec ./xev -event keyboard"

func leakyDir(t *testing.T, script string) string {
	return installDir(t, map[string]string{"game": script, "xev": "copy:" + need(t, "xev", "x11-utils")})
}

// running waits until the session's processes include every name in want.
func running(t *testing.T, sess string, want ...string) {
	t.Helper()
	eventually(t, 5*time.Second, fmt.Sprintf("processes %v never all ran", want), func() bool {
		all := strings.Join(marked(sess), "\n")
		for _, w := range want {
			if !strings.Contains(all, w) {
				return false
			}
		}
		return true
	})
}

func assertGone(t *testing.T, sess string, display int, files ...string) {
	t.Helper()
	if left := marked(sess); len(left) > 0 {
		t.Errorf("processes with the marker remain: %v", left)
	}
	if pid, ok := lockPID(display); ok && alive(pid) && !hasMarker(pid, "STRATUS_SESSION="+sess) {
		// Another X server (a test running beside this one) took the
		// display number since: its files are not ours.
		display = -1
	}
	checks := files
	if display >= 0 {
		checks = append(checks, lockFile(display), socketFile(display))
	}
	for _, f := range checks {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s remains (%v)", f, err)
		}
	}
}

func TestCloseCleansUp(t *testing.T) {
	all := []string{"sleep 1000", "sleep 1001", "xev", "Xvfb"}
	tests := []struct {
		name, script string
		marked       []string // what carries the marker while it runs
	}{
		{"polite", leaky, all},
		// Ignored signals stay ignored across exec: xev then needs SIGKILL.
		{"ignores SIGTERM", "trap '' TERM; " + leaky, all},
		// The leader drops the marker; its group is still known to be ours.
		// It keeps its cookie, without which the display would refuse it.
		{"clears its environment", "exec env -i XAUTHORITY=$XAUTHORITY ./xev -display $DISPLAY -event keyboard", []string{"Xvfb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRuntime(t, t.TempDir())
			i := start(t, r, leakyDir(t, tt.script), testManifest("game"))
			sess := i.spec.Session
			running(t, sess, tt.marked...)
			eventually(t, 3*time.Second, "xev never ran", func() bool {
				return slices.ContainsFunc(i.jail.Pids(), func(pid int) bool {
					return strings.Contains(strings.Join(cmdline(pid), " "), "xev")
				})
			})
			rec, err := readRecord(i.recPath)
			if err != nil || rec.Display != i.display || rec.GamePGID != i.game.Process.Pid || rec.XvfbPID != i.xvfb.cmd.Process.Pid {
				t.Fatalf("record %+v, %v", rec, err)
			}
			if err := i.Close(); err != nil {
				t.Fatal(err)
			}
			assertGone(t, sess, i.display, i.recPath, i.dir)
			select {
			case <-i.Done():
			default:
				t.Fatal("the game still runs")
			}
			if err := i.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if _, err := i.Render(time.Now()); !errors.Is(err, ErrClosed) {
				t.Fatalf("Render after Close = %v", err)
			}
			if err := i.Err(); !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "stopped by the edge") {
				t.Fatalf("Err = %v", err)
			}
		})
	}
}

func TestGameEnvironment(t *testing.T) {
	t.Setenv("STRATUS_TEST_LEAK", "edge secret")
	dir := t.TempDir()
	passable(t, dir)
	r, err := NewRuntime(Config{RunDir: dir, Limits: Limits{CPUSeconds: 1000}, Log: slog.New(slog.DiscardHandler), Sandbox: newSandbox(t, dir)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := testManifest("game")
	m.Env = map[string]string{"GAME_MODE": "fast"}
	i, err := r.Start(Spec{Session: session(t), InstallDir: installDir(t, map[string]string{"game": "env; exec sleep 1000"}),
		Manifest: m, Env: []string{"PULSE_SERVER=unix:/p", "DISPLAY=:999", "STRATUS_SESSION=other"}})
	if err != nil {
		t.Fatal(err)
	}
	defer i.Close()
	eventually(t, 3*time.Second, "the game never printed its environment", func() bool {
		return strings.Contains(readLog(t, i), "STRATUS_SESSION=")
	})
	env := readLog(t, i)
	for _, want := range []string{
		"PATH=" + defaultPath, "LANG=C.UTF-8", "GAME_MODE=fast", "PULSE_SERVER=unix:/p",
		"DISPLAY=" + i.Display() + "\n", "STRATUS_SESSION=" + i.spec.Session + "\n",
		"HOME=" + filepath.Join(dir, "tmp", i.spec.Session, "home"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "tmp", i.spec.Session, "run"),
	} {
		if !strings.Contains(env, want) {
			t.Errorf("environment lacks %q:\n%s", want, env)
		}
	}
	for _, bad := range []string{"STRATUS_TEST_LEAK", "DISPLAY=:999", "STRATUS_SESSION=other"} {
		if strings.Contains(env, bad) {
			t.Errorf("environment has %q", bad)
		}
	}
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", i.game.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{`Max core file size +0 +0`, `Max cpu time +1000 +1005`, `Max open files +\d+ +\d+`} {
		if !regexpMatch(re, string(limits)) {
			t.Errorf("limits lack %q:\n%s", re, limits)
		}
	}
}

// TestCrashHelper is the edge that crashes in TestCrashSweep: it starts an
// instance, says so, and waits to be killed. Run alone it does nothing.
func TestCrashHelper(t *testing.T) {
	rundir := os.Getenv("STRATUS_TEST_CRASH_RUNDIR")
	if rundir == "" {
		return
	}
	// Unconfined unless asked: a sandboxed game ends with its edge
	// (TestCrashSandboxed), leaving the sweep nothing to find.
	cfg := Config{RunDir: rundir, Log: slog.New(slog.DiscardHandler), UnsafeNoSandbox: true}
	if os.Getenv("STRATUS_TEST_CRASH_SANDBOXED") != "" {
		cfg = Config{RunDir: rundir, Log: slog.New(slog.DiscardHandler), Sandbox: newSandbox(t, rundir)}
	}
	r, err := NewRuntime(cfg)
	if err != nil {
		t.Fatal(err)
	}
	i, err := r.Start(Spec{Session: os.Getenv("STRATUS_TEST_CRASH_SESSION"),
		InstallDir: os.Getenv("STRATUS_TEST_CRASH_DIR"), Manifest: testManifest("game")})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("started %d\n", i.display)
	select {} // until SIGKILL
}

// crashEdge runs TestCrashHelper as an edge with one game of script, and
// kills it once the game runs.
func crashEdge(t *testing.T, rundir, sess, dir string, sandboxed bool, want ...string) (display int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "STRATUS_TEST_CRASH_RUNDIR="+rundir, "STRATUS_TEST_CRASH_SESSION="+sess,
		"STRATUS_TEST_CRASH_DIR="+dir)
	if sandboxed {
		cmd.Env = append(cmd.Env, "STRATUS_TEST_CRASH_SANDBOXED=1")
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if _, err := fmt.Sscanf(line, "started %d", &display); err != nil {
		t.Fatalf("helper said %q", line)
	}
	running(t, sess, want...)
	cmd.Process.Signal(syscall.SIGKILL) // the edge crashes
	cmd.Wait()
	return display
}

func TestCrashSweep(t *testing.T) {
	rundir, sess := t.TempDir(), session(t)
	passable(t, rundir)
	display := crashEdge(t, rundir, sess, leakyDir(t, leaky), false, "sleep 1000", "sleep 1001", "xev", "Xvfb")
	record := filepath.Join(rundir, "sessions", sess+".json")
	if _, err := os.Stat(record); err != nil {
		t.Fatalf("no record after the crash: %v", err)
	}
	if len(marked(sess)) == 0 {
		t.Fatal("nothing leaked: the crash test tests nothing")
	}

	r := newRuntime(t, rundir) // sweeps
	assertGone(t, sess, display, record, filepath.Join(rundir, "tmp", sess))
	if len(r.instances) != 0 {
		t.Fatal("sweep left instances")
	}
}

// TestCrashSandboxed crashes an edge whose game has left its process group
// and cleared its environment: the sandbox ends it with the edge, or at
// the latest the next start's sweep does, through the session's cgroup
// (bubblewrap's parent-death signal does not always fire).
func TestCrashSandboxed(t *testing.T) {
	rundir, sess := t.TempDir(), session(t)
	passable(t, rundir)
	script := "setsid env -i sleep 4243 & sleep 4242 & exec sleep 4241"
	crashEdge(t, rundir, sess, installDir(t, map[string]string{"game": script}), true, "sleep 4241", "sleep 4242")
	left := func() (out []string) {
		for _, p := range listProcs() {
			if c := strings.Join(cmdline(p.pid), " "); p.live() && strings.HasPrefix(c, "sleep 424") {
				out = append(out, c)
			}
		}
		return out
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(left()) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling the process table
	}
	if l := left(); len(l) > 0 {
		t.Logf("left after the crash, for the sweep: %q", l)
		newRuntime(t, rundir) // sweeps
	}
	eventually(t, 5*time.Second, "the sandboxed game outlived its edge and the sweep", func() bool { return len(left()) == 0 })
}

// A record whose process group now belongs to a stranger (PIDs are reused)
// must not get the stranger killed.
func TestSweepSparesStrangers(t *testing.T) {
	stranger := exec.Command("sleep", "1000")
	stranger.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := stranger.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stranger.Process.Kill(); stranger.Wait() }()
	pid := stranger.Process.Pid
	rundir := t.TempDir()
	os.MkdirAll(filepath.Join(rundir, "sessions"), 0o755)
	rec := record{Session: session(t), Display: -1, XvfbPID: pid, XvfbPGID: pid, GamePGID: pid}
	if err := rec.write(filepath.Join(rundir, "sessions", rec.Session+".json")); err != nil {
		t.Fatal(err)
	}
	newRuntime(t, rundir)
	if !alive(pid) {
		t.Fatal("sweep killed a process that never carried the marker")
	}
	if _, err := os.Stat(filepath.Join(rundir, "sessions", rec.Session+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("record not removed: %v", err)
	}
}
