package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"time"

	"stratus/internal/browser"
)

// environment says where and how figures were taken.
type environment struct {
	date     time.Time
	cpu      string
	nproc    int
	load     string // one-minute load average before the harness started
	chromium string
	command  string // this harness, as invoked
	server   string // the server's command line
}

func describe(ctx context.Context, srv *server, load string) (environment, error) {
	version, err := chromiumVersion(ctx)
	if err != nil {
		return environment{}, err
	}
	return environment{
		date:     time.Now(),
		cpu:      cpuModel(),
		nproc:    runtime.NumCPU(),
		load:     load,
		chromium: version,
		command:  invocation(),
		server:   shellJoin(srv.args),
	}, nil
}

var versionRE = regexp.MustCompile(`[0-9]+(\.[0-9]+){3}`)

// chromiumVersion asks the Chromium binary the harness runs for its full
// version. (The user agent would not do: it reads 156.0.0.0 since Chrome
// reduced it.)
func chromiumVersion(ctx context.Context) (string, error) {
	path, err := browser.Path()
	if err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", path, err)
	}
	if v := versionRE.FindString(string(out)); v != "" {
		return v, nil
	}
	return strings.TrimSpace(string(out)), nil
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(val)
		}
	}
	return "unknown CPU"
}

// loadAverage is the one-minute load average: on a small machine another
// busy process moves every figure here.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

// invocation is the command line that ran this harness. Under `go run` the
// binary lives in a go-build temporary directory, so the package path
// stands in for it.
func invocation() string {
	prog := os.Args[0]
	if strings.Contains(prog, string(os.PathSeparator)+"go-build") {
		prog = "go run ./benchmarks/latency"
	}
	return strings.TrimSpace(prog + " " + shellJoin(os.Args[1:]))
}

// shellJoin quotes the arguments that a POSIX shell would split or expand.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`|&;<>()*?[]{}~#!") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
