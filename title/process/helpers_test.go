package process

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"stratus/title/manifest"
	"stratus/title/process/sandbox"
)

// need returns the path of a program the tests run, or fails naming the
// Debian package that provides it: a missing one is a broken test machine,
// not a reason to skip.
func need(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install the Debian package %s (%v)", name, pkg, err)
	}
	return p
}

func newRuntime(t testing.TB, dir string) *Runtime {
	t.Helper()
	return newRuntimeWith(t, Config{RunDir: dir})
}

// newRuntimeWith is newRuntime with more of the configuration; a nil Log
// discards.
func newRuntimeWith(t testing.TB, cfg Config) *Runtime {
	t.Helper()
	need(t, "Xvfb", "xvfb")
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Sandbox == nil && !cfg.UnsafeNoSandbox {
		cfg.Sandbox = newSandbox(t, cfg.RunDir)
		passable(t, cfg.RunDir)
	}
	r, err := NewRuntime(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Available(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// newSandbox is the sandbox games run in, as on an edge: a host where it
// cannot work is a broken test machine (make setup installs bubblewrap).
func newSandbox(t testing.TB, name string) *sandbox.Sandbox {
	t.Helper()
	need(t, "bwrap", "bubblewrap")
	sb, err := sandbox.New(sandbox.Config{Name: name, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Available(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

// passable lets the sessions' uids pass through the test's temporary
// directories above dir (Go makes them 0700), as they pass through /tmp or
// /var/lib on an edge.
func passable(t testing.TB, dir string) {
	t.Helper()
	for d := filepath.Dir(dir); d != "/" && d != "." && strings.HasPrefix(d, os.TempDir()) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
}

// installDir builds a title's install directory: each entry is a file name
// and either "copy:<path>" (a program copied in) or a shell script body.
func installDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	// An operator's titles are readable by the sessions' uids.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	passable(t, dir)
	for name, what := range files {
		var data []byte
		if src, ok := strings.CutPrefix(what, "copy:"); ok {
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			data = b
		} else {
			data = []byte("#!/bin/sh\n" + what + "\n")
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func testManifest(command string, args ...string) manifest.Manifest {
	return manifest.Manifest{
		ID: "test-title", Name: "Test", Version: "1.0.0", Runtime: manifest.RuntimeProcess,
		Command: command, Args: args, Width: 640, Height: 360, FPS: 30,
	}
}

// session makes a session ID unique to this test process, since the marker
// derived from it decides which processes cleanup kills.
func session(t testing.TB) string {
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	return fmt.Sprintf("t%d-%s", os.Getpid(), name)
}

func start(t testing.TB, r *Runtime, dir string, m manifest.Manifest) *Instance {
	t.Helper()
	i, err := r.Start(Spec{Session: session(t), InstallDir: dir, Manifest: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { i.Close() })
	return i
}

// eventually polls cond until it holds or d passes, then fails with what.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// marked lists the live processes that carry the session's marker.
func marked(sess string) []string {
	var out []string
	for _, p := range listProcs() {
		if p.live() && hasMarker(p.pid, "STRATUS_SESSION="+sess) {
			out = append(out, fmt.Sprintf("%d %v", p.pid, cmdline(p.pid)))
		}
	}
	return out
}

func readLog(t *testing.T, i *Instance) string {
	t.Helper()
	b, err := os.ReadFile(i.Log())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
