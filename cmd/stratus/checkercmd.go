package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"stratus/checker"
	"stratus/cluster"
)

// checkerConfig is a checker node: it plays testpattern on every edge of
// its regions, as a player would, and reports what it measured.
type checkerConfig struct {
	Addr     string
	Signal   string
	Regions  string
	LogLevel string
	// Name, DataDir and EnrollTokenFile are the checker's identity, which
	// signs its reports.
	Name, DataDir, EnrollTokenFile string
	operator                       operatorTokenFlag
	Runner                         checker.RunnerConfig
}

func checkerFlags(args []string) (checkerConfig, error) {
	cfg := checkerConfig{Runner: checker.RunnerConfig{Probe: checker.DefaultConfig(), Every: time.Minute}}
	fs := flag.NewFlagSet("checker", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8090", "address of the checker's results (/v1/results) and /metrics")
	fs.StringVar(&cfg.Signal, "signal", "http://127.0.0.1:8080", "signaling node to join through, as players do")
	fs.StringVar(&cfg.Regions, "regions", "", "regions whose edges to check (comma list; empty: all)")
	// A minute keeps a thousand-edge region's checks to a few at a time
	// while an edge that fails is seen within one.
	fs.DurationVar(&cfg.Runner.Every, "check-every", cfg.Runner.Every, "how often each edge is checked")
	fs.DurationVar(&cfg.Runner.Probe.Watch, "watch", cfg.Runner.Probe.Watch, "how long each check watches the video")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&cfg.Name, "name", "checker", "this checker's node name, as enrolled")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory of this checker's key and enrollment; without it the reports stay here, unsigned and unsent")
	fs.StringVar(&cfg.EnrollTokenFile, "enroll-token-file", "", "file of the enrollment token (stratus operator add network -role checker), needed once (or the token itself in "+enrollTokenEnv+")")
	cfg.operator.add(fs, "file of the operator token that reading the edge list needs")
	if err := loadFlags(fs, args); err != nil {
		return cfg, err
	}
	var errs []error
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", cfg.Addr, err))
	}
	for _, r := range strings.Split(cfg.Regions, ",") {
		if r = strings.TrimSpace(r); r != "" {
			cfg.Runner.Regions = append(cfg.Runner.Regions, r)
		}
	}
	cfg.Runner.Probe.Signal = cfg.Signal
	errs = append(errs, cfg.Runner.Probe.Validate())
	if cfg.Runner.Every <= cfg.Runner.Probe.Watch {
		errs = append(errs, fmt.Errorf("-check-every %v must be longer than -watch %v", cfg.Runner.Every, cfg.Runner.Probe.Watch))
	}
	return cfg, errors.Join(errs...)
}

func runChecker(args []string) error {
	cfg, err := checkerFlags(args)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel)
	if err != nil {
		return err
	}
	tok, err := cfg.operator.token()
	if err != nil {
		return err
	}
	if tok == "" {
		return fmt.Errorf("checker: the operator token is needed to list the edges (-operator-token-file or %s)", operatorTokenEnv)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	reg := newRegistry()
	lister := checker.SignalLister{URL: cfg.Signal, HTTP: operatorHTTPClient(tok, 10*time.Second)}
	if cfg.DataDir != "" {
		id, _, err := joinNetwork(cfg.DataDir, cfg.EnrollTokenFile, cfg.Name, cluster.RoleChecker, log)
		if err != nil {
			ln.Close()
			return err
		}
		pub := checker.Publisher{URL: cfg.Signal, HTTP: &http.Client{Timeout: 10 * time.Second}, Node: cfg.Name, Key: id.Key}
		cfg.Runner.Publish = pub.Publish
	} else {
		log.Warn("checker: no -data-dir, so no identity: reports are served here but not sent to the signaling node")
	}
	r, err := checker.NewRunner(cfg.Runner, lister, reg, log)
	if err != nil {
		ln.Close()
		return err
	}
	c := &checkerService{runner: r}
	c.srv.serve(newHTTPServer(r.Handler(), reg), ln)
	log.Info("checker running", "signal", cfg.Signal, "every", cfg.Runner.Every, "results", "http://"+ln.Addr().String()+"/v1/results")
	return runUntilSignal(log, c)
}

// checkerService runs the checks and serves their results.
type checkerService struct {
	runner *checker.Runner
	srv    servers
}

func (c *checkerService) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.runner.Run(ctx)
	}()
	err := c.srv.wait(ctx)
	c.srv.shutdown()
	<-done
	return err
}

// Drain has nothing to hand over: a check in flight just ends.
func (c *checkerService) Drain(context.Context) {}

func (c *checkerService) Kill() {}
