package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"stratus/cluster"
	"stratus/signaling"
	"stratus/trust"
	"stratus/trust/enroll"
	"stratus/web"
)

// signalConfig is one signaling node as its own process.
type signalConfig struct {
	Addr     string
	LAN      string
	JoinLAN  string
	WAN      string
	JoinWAN  listFlag
	Location string
	LogLevel string
	// Registry is the network registry's directory; signaling nodes that
	// share it share one registry.
	Registry string
	g        gossipFlags
	operator operatorTokenFlag
	// TURNURLs are region=URL entries; TURNSecretFile overrides the
	// secret derived from the cluster key.
	TURNURLs       listFlag
	TURNSecretFile string
	Signal         signaling.Config
}

func signalFlags(args []string) (signalConfig, error) {
	cfg := signalConfig{Signal: signaling.DefaultConfig()}
	fs := flag.NewFlagSet("signal", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "player-facing HTTP address")
	fs.StringVar(&cfg.Signal.PublicURL, "public-url", "", "player-facing URL as pages reach it (default: http:// + -addr)")
	fs.StringVar(&cfg.Signal.Name, "name", cfg.Signal.Name, "node name")
	fs.StringVar(&cfg.Signal.Region, "region", cfg.Signal.Region, "region of this node; its players prefer edges there")
	fs.StringVar(&cfg.Location, "location", "", "latitude,longitude of this node")
	fs.Var(&cfg.TURNURLs, "turn-urls", "TURN servers handed to joined pages, by the edge's region: eu-west=turn:203.0.113.5:3479?transport=udp,eu-west=turn:…?transport=tcp (a region of * serves the others)")
	fs.StringVar(&cfg.TURNSecretFile, "turn-secret-file", "", "file of the TURN credentials' shared secret (default: derived from the cluster key)")
	fs.Var((*listFlag)(&cfg.Signal.Edges), "edges", "edge API URLs to route to without gossip (comma list)")
	fs.StringVar(&cfg.LAN, "lan", "", "regions this node routes for, with the gossip address of each region's pool: eu-west=0.0.0.0:7946,us-east=0.0.0.0:7947")
	fs.StringVar(&cfg.JoinLAN, "join-lan", "", "members of each region's pool to join: eu-west=10.0.0.5:7946,…")
	fs.StringVar(&cfg.WAN, "wan", "", "gossip address of the WAN pool of signaling nodes (empty: none)")
	fs.Var(&cfg.JoinWAN, "join-wan", "members of the WAN pool to join (comma list)")
	fs.Var((*listFlag)(&cfg.Signal.AllowedOrigins), "allowed-origins", "extra origins allowed to open the player WebSocket")
	addLimitFlags(fs, &cfg.Signal.Limits)
	addQueueFlags(fs, &cfg.Signal.Queue)
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&cfg.Signal.DataDir, "data-dir", "", "directory of this node's key (required with gossip unless -dev)")
	fs.StringVar(&cfg.Signal.LedgerDB, "db", "", "the PostgreSQL database of the usage ledger and the studio catalog, shared by the signaling nodes that name it: postgres://… without a password (put one in "+ledgerDBEnv+"); default: SQLite in -data-dir")
	fs.StringVar(&cfg.Registry, "registry", "", "directory of the network's registry: its key, operators and enrolled nodes (default: DATA-DIR/registry; share it between signaling nodes)")
	cfg.g.add(fs)
	cfg.operator.add(fs, "file of the operator token that /v1/sessions, /v1/edges, /v1/route, /v1/operators and /metrics require")
	studioCfg := addStudioFlags(fs)
	playerAuth := addPlayerAuthFlags(fs)
	if err := loadFlags(fs, args); err != nil {
		return cfg, err
	}
	cfg.Signal.Studio = studioCfg()
	cfg.Signal.PlayerAuth = playerAuth()
	var errs []error
	tok, err := cfg.operator.token()
	errs = append(errs, err)
	cfg.Signal.OperatorToken = tok
	// -dev already runs gossip without a key; without a token too, the
	// operator's endpoints stay open rather than refuse the developer.
	cfg.Signal.OperatorOpen = cfg.g.dev
	// and tools that send no Origin may open the player WebSocket.
	cfg.Signal.AllowNoOrigin = cfg.g.dev
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", cfg.Addr, err))
	}
	if cfg.Signal.PublicURL == "" {
		cfg.Signal.PublicURL = "http://" + cfg.Addr
	}
	loc, err := parseLocation(cfg.Location)
	errs = append(errs, err)
	cfg.Signal.Location = loc
	lan, err := regionMap(cfg.LAN)
	errs = append(errs, err)
	joins, err := regionMap(cfg.JoinLAN)
	errs = append(errs, err)
	for r := range joins {
		if _, ok := lan[r]; !ok {
			errs = append(errs, fmt.Errorf("join-lan names region %q, which -lan does not", r))
		}
	}
	if len(lan) > 0 || cfg.WAN != "" {
		key, err := cfg.g.clusterKey()
		errs = append(errs, err)
		cfg.Signal.CatalogToken = cluster.DeriveToken(key, cluster.PurposeCatalog)
		cfg.Signal.TicketKey = cluster.DeriveKey(key, cluster.PurposeEdgeControl)
		cfg.Signal.ResumeKey = cluster.DeriveKey(key, cluster.PurposeResume)
		regions := make([]string, 0, len(lan))
		for r := range lan {
			regions = append(regions, r)
		}
		sort.Strings(regions)
		for _, r := range regions {
			pc, err := cfg.g.pool(cluster.LANPool(r), cfg.Signal.Name, lan[r][0], joins[r], key, cluster.ProfileLAN)
			errs = append(errs, err)
			cfg.Signal.LAN = append(cfg.Signal.LAN, pc)
		}
		if cfg.WAN != "" {
			pc, err := cfg.g.pool(cluster.WANPool, cfg.Signal.Name, cfg.WAN, cfg.JoinWAN, key, cluster.ProfileWAN)
			errs = append(errs, err)
			cfg.Signal.WAN = &pc
		}
		errs = append(errs, cfg.registry(), cfg.ledgerDB())
		cfg.Signal.TURN = &signaling.TURN{Secret: cluster.DeriveKey(key, cluster.PurposeTURN)}
	}
	errs = append(errs, cfg.turnConfig())
	errs = append(errs, cfg.Signal.Validate())
	return cfg, errors.Join(errs...)
}

// registry sets up the network registry of a gossiping node: required
// outside development, where the pools then believe only enrolled nodes.
func (cfg *signalConfig) registry() error {
	if cfg.Signal.DataDir == "" {
		if cfg.g.dev && cfg.Registry == "" {
			return nil
		}
		return errors.New("-data-dir is required: it keeps this node's key (and, by default, the network's registry); or -dev, to route to any edge")
	}
	rc := enroll.DefaultConfig()
	rc.Dir = cmp.Or(cfg.Registry, filepath.Join(cfg.Signal.DataDir, "registry"))
	cfg.Signal.Registry = &rc
	return nil
}

// ledgerDBEnv holds the ledger's database URL when it carries a password,
// which a command line would show every user of the machine.
const ledgerDBEnv = "STRATUS_DB"

// ledgerDB takes the ledger's URL from the environment, and refuses a
// password on the command line.
func (cfg *signalConfig) ledgerDB() error {
	if cfg.Signal.LedgerDB != "" {
		if u, err := url.Parse(cfg.Signal.LedgerDB); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				return fmt.Errorf("-db carries a password, visible to every user of the machine: put the URL in %s instead", ledgerDBEnv)
			}
		}
		return nil
	}
	cfg.Signal.LedgerDB = os.Getenv(ledgerDBEnv)
	return nil
}

// addLimitFlags adds the per-client limits of a signaling node
// (signaling.Limits); their defaults are the package's.
func addLimitFlags(fs *flag.FlagSet, l *signaling.Limits) {
	fs.IntVar(&l.WebSocketsPerIP, "websockets-per-ip", l.WebSocketsPerIP, "player WebSockets one client address may hold open")
	fs.IntVar(&l.JoinsPerMinute, "joins-per-minute", l.JoinsPerMinute, "joins one client address may send a minute")
	fs.IntVar(&l.SessionsPerPlayer, "sessions-per-player", l.SessionsPerPlayer, "sessions one player (the signed-in subject, else the client address) may hold at once")
}

// addQueueFlags adds the bounds of a signaling node's queue of players
// waiting for room (signaling.Queue); their defaults are the package's.
func addQueueFlags(fs *flag.FlagSet, q *signaling.Queue) {
	fs.IntVar(&q.PerTitle, "queue-per-title", q.PerTitle, "players who may wait in line for one title when every edge is full (0: refuse them at once)")
	fs.DurationVar(&q.Wait, "queue-wait", q.Wait, "longest a player waits in line before the join is refused")
}

func runSignal(args []string) error {
	cfg, err := signalFlags(args)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel)
	if err != nil {
		return err
	}
	n, err := newSignalService(cfg, log)
	if err != nil {
		return err
	}
	log.Info("signaling node serving", "url", cfg.Signal.PublicURL)
	return runUntilSignal(log, n)
}

// signalService is a signaling node on its own: the signal command.
type signalService struct {
	sig *signaling.Server
	srv servers
}

func newSignalService(cfg signalConfig, log *slog.Logger) (*signalService, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	reg := newRegistry()
	sig, err := signaling.New(cfg.Signal, web.Handler(), reg, log)
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := newHTTPServer(sig.Handler(), reg)
	srv.Handler = guardMetrics(srv.Handler, sig.RequireOperator)
	srv.RegisterOnShutdown(sig.EndLongPolls)
	n := &signalService{sig: sig}
	n.srv.serve(srv, ln)
	return n, nil
}

// Run serves until ctx ends, then closes.
func (n *signalService) Run(ctx context.Context) error {
	err := n.srv.wait(ctx)
	n.srv.shutdown()
	n.sig.Close()
	return err
}

// Drain has nothing to hand over: a signaling node holds no games, and its
// players' pages keep playing on their edges while it is gone.
func (n *signalService) Drain(context.Context) {}

// Kill has nothing to end.
func (n *signalService) Kill() {}

// turnConfig gives signaling the TURN servers of -turn-urls, or none.
func (cfg *signalConfig) turnConfig() error {
	if len(cfg.TURNURLs) == 0 {
		cfg.Signal.TURN = nil
		return nil
	}
	t := cfg.Signal.TURN
	if t == nil {
		t = &signaling.TURN{}
	}
	t.TTL, t.URLs = signaling.DefaultTURNTTL, map[string][]string{}
	var errs []error
	for _, e := range cfg.TURNURLs {
		region, u, ok := strings.Cut(e, "=")
		if !ok || region == "" {
			errs = append(errs, fmt.Errorf("turn-urls %q: want region=URL", e))
			continue
		}
		if region == "*" {
			region = ""
		}
		t.URLs[region] = append(t.URLs[region], u)
	}
	if cfg.TURNSecretFile != "" {
		secret, err := trust.ReadSecret(cfg.TURNSecretFile, "TURN secret", 4<<10)
		errs = append(errs, err)
		t.Secret = []byte(strings.TrimSpace(string(secret)))
	}
	if t.Secret == nil {
		errs = append(errs, errors.New("turn-urls needs a cluster key or -turn-secret-file: the TURN servers must share its secret"))
	}
	cfg.Signal.TURN = t
	return errors.Join(errs...)
}
