package main

import (
	"context"
	"runtime"
	"time"

	"stratus/internal/browser"
	"stratus/internal/machine"
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
	version, err := browser.Version(ctx)
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
