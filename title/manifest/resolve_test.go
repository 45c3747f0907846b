package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// installTree builds an install directory with an executable, a plain file,
// a directory and symlinks in and out of it.
func installTree(t *testing.T) (dir, outside string) {
	t.Helper()
	base := t.TempDir()
	dir = filepath.Join(base, "title")
	outside = filepath.Join(base, "elsewhere")
	for _, d := range []string{filepath.Join(dir, "bin"), filepath.Join(dir, "share"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path string, mode os.FileMode) {
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "bin", "game"), 0o755)
	write(filepath.Join(dir, "game.sh"), 0o644)
	write(filepath.Join(outside, "sh"), 0o755)
	link := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	link("bin/game", "start")                        // inside: fine
	link(filepath.Join(outside, "sh"), "escape")     // absolute, outside
	link("../elsewhere", "data")                     // relative dir, outside
	link(filepath.Join(dir, "bin", "game"), "alias") // absolute but inside
	// A sibling whose name extends the install directory's: a bare prefix
	// check would take it for inside.
	if err := os.MkdirAll(dir+"2", 0o755); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(dir+"2", "game"), 0o755)
	link("../title2/game", "sibling")
	return dir, outside
}

func TestResolveCommand(t *testing.T) {
	dir, _ := installTree(t)
	real := func(p string) string {
		r, err := filepath.EvalSymlinks(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	cases := []struct {
		command, want, wantErr string
	}{
		{"bin/game", real("bin/game"), ""},
		{"./bin/game", real("bin/game"), ""},
		{"start", real("bin/game"), ""},
		{"alias", real("bin/game"), ""},
		{"/bin/sh", "", "command /bin/sh: absolute path"},
		{"../../bin/sh", "", "command ../../bin/sh: outside the install directory"},
		{"bin/../../elsewhere/sh", "", "outside the install directory"},
		{"escape", "", "command escape: outside the install directory"},
		{"data/sh", "", "command data/sh: outside the install directory"},
		{"sibling", "", "command sibling: outside the install directory"},
		{"bin/nothing", "", "command bin/nothing: not found in the install directory"},
		{"game.sh", "", "command game.sh: not executable"},
		{"bin", "", "command bin: is a directory"},
		{"", "", "command: none"},
	}
	for _, c := range cases {
		t.Run(c.command, func(t *testing.T) {
			got, err := ResolveCommand(dir, Manifest{Runtime: RuntimeProcess, Command: c.command})
			if c.wantErr == "" {
				if err != nil || got != c.want {
					t.Errorf("ResolveCommand = %q, %v, want %q", got, err, c.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ResolveCommand = %q, %v, want error containing %q", got, err, c.wantErr)
			}
		})
	}
}

// The install directory itself may be a symlink (versioned installs with a
// "current" link); resolving both sides keeps that working.
func TestResolveCommandSymlinkedInstallDir(t *testing.T) {
	dir, _ := installTree(t)
	current := filepath.Join(t.TempDir(), "current")
	if err := os.Symlink(dir, current); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveCommand(current, Manifest{Command: "bin/game"}); err != nil {
		t.Fatal(err)
	}
}

func TestResolveWorkdir(t *testing.T) {
	dir, _ := installTree(t)
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ResolveWorkdir(dir, Manifest{}); err != nil || got != root {
		t.Errorf("empty workdir = %q, %v, want %q", got, err, root)
	}
	if got, err := ResolveWorkdir(dir, Manifest{Workdir: "share"}); err != nil || got != filepath.Join(root, "share") {
		t.Errorf("share = %q, %v", got, err)
	}
	for workdir, wantErr := range map[string]string{
		"/tmp":     "workdir /tmp: absolute path",
		"..":       "workdir ..: outside the install directory",
		"data":     "workdir data: outside the install directory",
		"missing":  "workdir missing: not found in the install directory",
		"game.sh":  "workdir game.sh: not a directory",
		"bin/game": "not a directory",
	} {
		if _, err := ResolveWorkdir(dir, Manifest{Workdir: workdir}); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("workdir %q: error %v, want %q", workdir, err, wantErr)
		}
	}
}

func TestResolveMissingInstallDir(t *testing.T) {
	_, err := ResolveCommand(filepath.Join(t.TempDir(), "gone"), Manifest{Command: "bin/game"})
	if err == nil || !strings.Contains(err.Error(), "install directory") {
		t.Errorf("error = %v", err)
	}
}
