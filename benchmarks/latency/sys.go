package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"runtime"
	"stratus/internal/machine"
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
		cpu:      machine.CPUModel(),
		nproc:    runtime.NumCPU(),
		load:     load,
		chromium: version,
		command:  machine.Invocation("./benchmarks/latency"),
		server:   machine.ShellJoin(srv.args),
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
