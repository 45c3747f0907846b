package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want []string
	}{
		{"defaults", Config{}, nil},
		{"a range", Config{FirstUID: 200000, UIDs: 10}, nil},
		{"system uids", Config{FirstUID: 100, UIDs: 10}, []string{"below 1000"}},
		{"every problem at once", Config{FirstUID: -1, UIDs: 5, Pids: -1}, []string{"out of range", "below 1000", "negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v, want %q", err, w)
				}
			}
		})
	}
}

// TestReachable: a session's uid must pass through every directory above
// what it mounts; a private one is named, with the fix.
func TestReachable(t *testing.T) {
	dir := t.TempDir()
	inner := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	if err := reachable(inner); err != nil {
		t.Fatalf("open path: %v", err)
	}
	os.Chmod(filepath.Join(dir, "a"), 0o700)
	err := reachable(inner)
	if err == nil || !strings.Contains(err.Error(), "chmod o+x") || !strings.Contains(err.Error(), filepath.Join(dir, "a")) {
		t.Fatalf("private parent: %v", err)
	}
}

// TestWrap: the shell joins the cgroups before anything else runs, then
// becomes the session's uid (keeping a parent-death signal), then
// bubblewrap.
func TestWrap(t *testing.T) {
	s := &Sandbox{bwrap: "/usr/bin/bwrap", setuid: true}
	argv := s.wrap(600001, []string{"/cg/pids/s/cgroup.procs", "/cg/memory/s/cgroup.procs"}, []string{"--unshare-pid", "--", "/game"})
	got := strings.Join(argv, " ")
	for _, want := range []string{
		"/bin/sh -c " + enterScript + " sh /cg/pids/s/cgroup.procs /cg/memory/s/cgroup.procs -- setpriv --reuid=600001 --regid=600001",
		"--pdeathsig=KILL -- /usr/bin/bwrap --unshare-pid -- /game",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("argv %q lacks %q", got, want)
		}
	}
	s.setuid = false
	if got := strings.Join(s.wrap(-1, nil, []string{"--", "/game"}), " "); strings.Contains(got, "setpriv") {
		t.Errorf("an edge that cannot switch users switched: %q", got)
	}
}
