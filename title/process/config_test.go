package process

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stratus/title/manifest"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings; none means valid
	}{
		{"minimal", Config{RunDir: "/tmp/x"}, nil},
		{"everything wrong", Config{StartTimeout: -time.Second, Limits: Limits{OpenFiles: 10, AddressSpace: 1 << 20}},
			[]string{"RunDir: required", "StartTimeout", "Limits.OpenFiles", "Limits.AddressSpace"}},
		{"limits set", Config{RunDir: "d", Limits: Limits{OpenFiles: 1024, AddressSpace: 8 << 30, CPUSeconds: 60}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestAvailableNamesThePackage(t *testing.T) {
	r, err := NewRuntime(Config{RunDir: t.TempDir(), Xvfb: "/nonexistent/Xvfb"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Available(); err == nil || !strings.Contains(err.Error(), "install the Debian package xvfb") {
		t.Fatalf("Available() = %v", err)
	}
	if _, err := r.Start(Spec{Session: "s1"}); err == nil {
		t.Fatal("Start without Xvfb succeeded")
	}
}

func TestCheck(t *testing.T) {
	dir := installDir(t, map[string]string{"game": "exit 0"})
	os.WriteFile(filepath.Join(dir, "data"), nil, 0o644)
	r, err := NewRuntime(Config{RunDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	builtin := testManifest("game")
	builtin.Runtime = "builtin"
	tests := []struct {
		name string
		m    func() (m manifest.Manifest)
		want string
	}{
		{"ok", func() manifest.Manifest { return testManifest("game") }, ""},
		{"builtin", func() manifest.Manifest { return builtin }, `runtime "builtin"`},
		{"missing", func() manifest.Manifest { return testManifest("nope") }, "not found"},
		{"outside", func() manifest.Manifest { return testManifest("../../../bin/sh") }, "outside the install directory"},
		{"not executable", func() manifest.Manifest { return testManifest("data") }, "not executable"},
		{"bad workdir", func() manifest.Manifest { m := testManifest("game"); m.Workdir = "data"; return m }, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Check(dir, tt.m())
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Check = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Check = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidSession(t *testing.T) {
	for id, ok := range map[string]bool{
		"abc": true, "A-1.b_2": true, "": false, "-x": false, ".x": false, "a/b": false,
		"a b": false, "..": false, strings.Repeat("a", 129): false,
	} {
		if err := validSession(id); (err == nil) != ok {
			t.Errorf("validSession(%q) = %v", id, err)
		}
	}
}

func TestLogFileCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l, err := newLogFile(path, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 100; n++ {
		l.Write([]byte(strings.Repeat("x", 40) + "\n"))
	}
	l.Write([]byte("last words\n"))
	l.Close()
	b, _ := os.ReadFile(path)
	if len(b) > 1200 || !strings.Contains(string(b), "further output is dropped") || !strings.Contains(string(b), "bytes dropped") {
		t.Fatalf("log of %d bytes:\n%s", len(b), b)
	}
	if got := l.lines(1, 100); len(got) != 1 || got[0] != "last words" {
		t.Fatalf("tail = %q", got)
	}
}

// Old and surplus game logs go; recent ones stay.
func TestPruneLogs(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	write := func(name string, age time.Duration) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("log"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	write("old.log", keepLogAge+time.Hour)
	for n := range keepLogs + 5 {
		write(fmt.Sprintf("s%04d.log", n), time.Duration(n)*time.Second)
	}
	pruneLogs(dir, now)
	left, _ := os.ReadDir(dir)
	if len(left) != keepLogs {
		t.Fatalf("%d logs left, want %d", len(left), keepLogs)
	}
	for _, gone := range []string{"old.log", fmt.Sprintf("s%04d.log", keepLogs+4)} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s kept", gone)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "s0000.log")); err != nil {
		t.Errorf("the newest log went: %v", err)
	}
}
