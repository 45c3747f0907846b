package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"

	"stratus/cluster"
	"stratus/edge"
	"stratus/turn"
)

// edgeConfig is one edge node as its own process.
type edgeConfig struct {
	API       string
	PublicURL string
	Gossip    string
	Join      listFlag
	Location  string
	// Probe is the public listener's address; ProbePublicURL its URL.
	Probe, ProbePublicURL string
	LogLevel              string
	// DataDir keeps the node's key and enrollment; EnrollTokenFile the
	// token it enrolls with the first time.
	DataDir, EnrollTokenFile string
	g                        gossipFlags
	titles                   titleFlags
	operator                 operatorTokenFlag
	turn                     turnFlags
	// turnSecret is derived from the cluster key (nil without one).
	turnSecret []byte
	Edge       edge.Config
}

func edgeFlags(args []string) (edgeConfig, error) {
	cfg := edgeConfig{Edge: edge.DefaultConfig()}
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	// Loopback by default, like everything else: an operator opens the
	// edge API to signaling nodes on purpose.
	fs.StringVar(&cfg.API, "api", "127.0.0.1:8081", "edge API address (signaling nodes call it; pages fetch its RTT probe)")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "edge API URL as others reach it (default: http:// + -api)")
	fs.StringVar(&cfg.Probe, "probe", "", "address of a public listener for the players' RTT probe and /healthz (empty: the edge API serves the probe)")
	fs.StringVar(&cfg.ProbePublicURL, "probe-public-url", "", "the probe listener's URL as pages reach it (default: http:// + -probe)")
	// 7946 is memberlist's customary port.
	fs.StringVar(&cfg.Gossip, "gossip", "0.0.0.0:7946", "gossip address (UDP and TCP) of the region's pool")
	fs.Var(&cfg.Join, "join", "gossip addresses of members of the region's pool to join (comma list)")
	fs.StringVar(&cfg.Location, "location", "", "latitude,longitude of the edge, for routing players who measured nothing")
	fs.DurationVar(&cfg.Edge.ProbeDelay, "probe-delay", 0, "artificial delay added to RTT-probe answers (tests and demos)")
	fs.StringVar((*string)(&cfg.Edge.Misbehave), "test-misbehave", "", "tests only, with "+testHooksEnv+"=1: make the edge lie (refuse: full while advertising free slots; slow: 20 fps)")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory of this node's key and enrollment (required unless -dev)")
	fs.StringVar(&cfg.EnrollTokenFile, "enroll-token-file", "", "file of the enrollment token from the network's operator (stratus operator add), needed once (or the token itself in "+enrollTokenEnv+")")
	fs.Var((*listFlag)(&cfg.Edge.CatalogURLs), "catalog", "signaling node URLs to read the studio catalog from (default: found through gossip)")
	cfg.g.add(fs)
	cfg.titles.add(fs)
	cfg.operator.add(fs, "file of the operator token the edge's control API takes (drain, sessions, status)")
	addEdgeFlags(fs, &cfg.Edge)
	cfg.turn.add(fs)
	if err := loadFlags(fs, args); err != nil {
		return cfg, err
	}
	var errs []error
	if _, _, err := net.SplitHostPort(cfg.API); err != nil {
		errs = append(errs, fmt.Errorf("api %q: %w", cfg.API, err))
	}
	key, err := cfg.g.clusterKey()
	errs = append(errs, err)
	loc, err := parseLocation(cfg.Location)
	errs = append(errs, err)
	if loc != nil {
		cfg.Edge.Location = *loc
	}
	pc, err := cfg.g.pool(cluster.LANPool(cfg.Edge.Region), cfg.Edge.Name, cfg.Gossip, cfg.Join, key, cluster.ProfileLAN)
	errs = append(errs, err)
	cfg.Edge.Gossip = &pc
	cfg.Edge.StateKey = cluster.DeriveKey(key, cluster.PurposeResume)
	cfg.Edge.TicketKey = cluster.DeriveKey(key, cluster.PurposeEdgeControl)
	cfg.Edge.OperatorToken, err = cfg.operator.token()
	errs = append(errs, err)
	cfg.Edge.CatalogToken = cluster.DeriveToken(key, cluster.PurposeCatalog)
	cfg.turnSecret = cluster.DeriveKey(key, cluster.PurposeTURN)
	if cfg.DataDir == "" && !cfg.g.dev {
		errs = append(errs, errors.New("-data-dir is required: it keeps this node's key and enrollment (or -dev, to gossip unsigned)"))
	}
	if cfg.Edge.Misbehave != edge.MisbehaveNone && os.Getenv(testHooksEnv) != "1" {
		errs = append(errs, fmt.Errorf("-test-misbehave makes the edge lie to the network: tests only, refused without %s=1", testHooksEnv))
	}
	errs = append(errs, cfg.Edge.Validate())
	return cfg, errors.Join(errs...)
}

// testHooksEnv must be 1 for an edge to accept a test hook: a setting
// copied into a production config by mistake then stops the edge at
// start rather than make it lie.
const testHooksEnv = "STRATUS_TEST_HOOKS"

func runEdge(args []string) error {
	if len(args) > 0 && args[0] == "status" {
		return runEdgeStatus(args[1:])
	}
	cfg, err := edgeFlags(args)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel)
	if err != nil {
		return err
	}
	n, err := newEdgeService(cfg, log)
	if err != nil {
		return err
	}
	if m := cfg.Edge.Misbehave; m != edge.MisbehaveNone {
		log.Warn("TEST HOOK: this edge misbehaves on purpose; never run it for players", "misbehave", string(m))
	}
	log.Info("edge serving", "api", n.url)
	return runUntilSignal(log, n)
}

// edgeService is an edge serving its API on its own: the edge command.
type edgeService struct {
	*runningEdge
	url  string       // the edge API as others reach it
	turn *turn.Server // nil without -turn
	srv  servers
}

func newEdgeService(cfg edgeConfig, log *slog.Logger) (*edgeService, error) {
	if cfg.DataDir != "" {
		id, network, err := joinNetwork(cfg.DataDir, cfg.EnrollTokenFile, cfg.Edge.Name, cluster.RoleEdge, log)
		if err != nil {
			return nil, err
		}
		// The data directory also keeps the usage journal, signed with
		// the node key.
		cfg.Edge.UsageDir, cfg.Edge.UsageKey, cfg.Edge.Operator = cfg.DataDir, id.Key, id.Operator
		pc := *cfg.Edge.Gossip
		pc.Identity = id
		if !cfg.g.dev {
			pc.Network = network
		}
		cfg.Edge.Gossip = &pc
	}
	ln, err := net.Listen("tcp", cfg.API)
	if err != nil {
		return nil, err
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + ln.Addr().String()
	}
	cfg.Edge.APIURL = cfg.PublicURL
	var probeLn net.Listener
	if cfg.Probe != "" {
		if probeLn, err = net.Listen("tcp", cfg.Probe); err != nil {
			ln.Close()
			return nil, fmt.Errorf("probe listener: %w", err)
		}
		cfg.Edge.ProbeURL = cmp.Or(cfg.ProbePublicURL, "http://"+probeLn.Addr().String())
	}
	reg := newRegistry()
	re, err := newRunningEdge(cfg.Edge, cfg.titles, reg, log)
	if err != nil {
		ln.Close()
		if probeLn != nil {
			probeLn.Close()
		}
		return nil, err
	}
	n := &edgeService{runningEdge: re, url: cfg.PublicURL}
	if cfg.turn.Addr != "" || cfg.turn.TLS != "" {
		tc, err := cfg.turn.config(cfg.Edge.Stream, cfg.turnSecret)
		if err == nil && cfg.turnSecret == nil && cfg.turn.SecretFile == "" {
			log.Warn("TURN secret is random (no cluster key, no -turn-secret-file): no signaling node can issue credentials for it")
		}
		if err == nil {
			n.turn, err = turn.New(tc, reg, log)
		}
		if err != nil {
			ln.Close()
			if probeLn != nil {
				probeLn.Close()
			}
			re.close()
			return nil, err
		}
		// Signaling nodes hand these to the region's pages: stratus
		// signal -turn-urls <region>=<url>,….
		log.Info("TURN URLs for the region's signaling nodes", "region", cfg.Edge.Region, "urls", n.turn.URLs())
	}
	srv := newHTTPServer(re.edge.Handler(), reg)
	srv.Handler = guardMetrics(srv.Handler, re.edge.RequireControl)
	n.srv.serve(srv, ln)
	if probeLn != nil {
		n.srv.serve(newHTTPServer(re.edge.ProbeHandler(), nil), probeLn)
		log.Info("RTT probe served apart", "probe", cfg.Edge.ProbeURL)
	}
	return n, nil
}

// Run serves until ctx ends, then closes: the edge leaves its pool, its
// games end.
func (n *edgeService) Run(ctx context.Context) error {
	err := n.srv.wait(ctx)
	n.srv.shutdown()
	if n.turn != nil {
		n.turn.Close()
	}
	n.close()
	return err
}
