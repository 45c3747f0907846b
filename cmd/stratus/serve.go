package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"

	"stratus/edge"
	"stratus/signaling"
	"stratus/turn"
	"stratus/web"
)

// serveConfig is the all-in-one process: one edge and one signaling node.
type serveConfig struct {
	Addr     string // player-facing HTTP (pages, WebSocket, metrics)
	EdgeAddr string // the edge API, which the signaling node calls over HTTP
	// Probe is the address of a listener for pages' RTT probe and
	// /healthz alone; "" leaves the probe on the edge API.
	Probe    string
	LogLevel string
	Edge     edge.Config
	Signal   signaling.Config
	titles   titleFlags
	operator operatorTokenFlag
	turn     turnFlags
}

func (c serveConfig) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", c.Addr, err))
	}
	if _, _, err := net.SplitHostPort(c.EdgeAddr); err != nil {
		errs = append(errs, fmt.Errorf("edge-addr %q: %w", c.EdgeAddr, err))
	}
	if c.Probe != "" {
		if _, _, err := net.SplitHostPort(c.Probe); err != nil {
			errs = append(errs, fmt.Errorf("probe %q: %w", c.Probe, err))
		}
	}
	errs = append(errs, c.Edge.Validate())
	return errors.Join(errs...)
}

func serveFlags(args []string) (serveConfig, error) {
	cfg := serveConfig{Edge: edge.DefaultConfig(), Signal: signaling.DefaultConfig()}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	// Loopback by default: a fresh install serves only this machine until
	// the operator says otherwise.
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "player-facing HTTP address (pages, WebSocket, /metrics)")
	// An ephemeral loopback port: the edge API is internal to this process
	// pair, yet spoken over real HTTP so edges can move to other machines.
	fs.StringVar(&cfg.EdgeAddr, "edge-addr", "127.0.0.1:0", "edge API address")
	// Pages measure their round trip to the edge from the player's
	// machine, which cannot reach a loopback edge API: this is the one
	// edge port to open to players.
	fs.StringVar(&cfg.Probe, "probe", "", "address of a public listener for the players' RTT probe and /healthz (empty: the edge API serves the probe)")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "debug, info, warn or error")
	addEdgeFlags(fs, &cfg.Edge)
	cfg.titles.add(fs)
	cfg.turn.add(fs)
	fs.Var((*listFlag)(&cfg.Signal.AllowedOrigins), "allowed-origins", "extra origins allowed to open the player WebSocket")
	addLimitFlags(fs, &cfg.Signal.Limits)
	addQueueFlags(fs, &cfg.Signal.Queue)
	cfg.operator.add(fs, "file of the operator token that /v1/sessions, /v1/edges, /v1/route and the player-facing /metrics require")
	studioCfg := addStudioFlags(fs)
	playerAuth := addPlayerAuthFlags(fs)
	if err := loadFlags(fs, args); err != nil {
		return cfg, err
	}
	cfg.Signal.Studio = studioCfg()
	cfg.Signal.PlayerAuth = playerAuth()
	tok, err := cfg.operator.token()
	cfg.Signal.OperatorToken, cfg.Edge.OperatorToken = tok, tok
	// With an operator token, the two halves of this process share a
	// ticket key of their own: the edge's control API, on a port anyone on
	// the machine can reach, then takes only this signaling node's calls
	// (tickets to place players, the token to poll the edge) and the
	// operator's. Without one it stays open, for development.
	if tok != "" {
		cfg.Edge.TicketKey = make([]byte, 32)
		rand.Read(cfg.Edge.TicketKey)
		cfg.Signal.TicketKey = cfg.Edge.TicketKey
	}
	return cfg, errors.Join(err, cfg.Validate())
}

func addEdgeFlags(fs *flag.FlagSet, c *edge.Config) {
	fs.StringVar(&c.Name, "name", c.Name, "edge name shown to players and operators")
	fs.StringVar(&c.Region, "region", c.Region, "region of the edge")
	fs.IntVar(&c.Capacity, "capacity", c.Capacity, "sessions the edge encodes in software (x264) at once; NVENC sessions come on top")
	// The same names as `stratus gpus`, so one config file serves both.
	fs.IntVar(&c.GPUSessions, "gpu-sessions", c.GPUSessions, "most NVENC sessions on one GPU, every process's counted (0: no NVENC)")
	fs.IntVar(&c.GPUSessionMiB, "gpu-session-mib", c.GPUSessionMiB, "GPU memory one session needs, in MiB (0: no bound)")
	fs.IntVar(&c.Bitrate, "bitrate", c.Bitrate, "starting video bitrate, bit/s")
	fs.IntVar(&c.Stream.MinBitrate, "min-bitrate", c.Stream.MinBitrate, "lowest bitrate the congestion controller may choose, bit/s")
	fs.IntVar(&c.Stream.MaxBitrate, "max-bitrate", c.Stream.MaxBitrate, "highest bitrate the congestion controller may choose, bit/s")
	fs.Float64Var(&c.Stream.FECMaxOverhead, "fec-max-overhead", c.Stream.FECMaxOverhead,
		"most FlexFEC repair packets per media packet, sent at twice the measured loss from 0.5% loss on (0: no FEC)")
	fs.IntVar(&c.EncoderThreads, "encoder-threads", c.EncoderThreads, "x264 threads per session (0: automatic)")
	fs.IntVar(&c.Nice, "nice", c.Nice, "scheduling priority of the edge's process, -20 (first) to 19 (0: as started; below 0 needs CAP_SYS_NICE)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "end sessions without input for this long")
	fs.IntVar(&c.Standbys, "standbys", c.Standbys, "most warm standby connections held at once (no title, no encoder, no slot; 0: none)")
	fs.DurationVar(&c.StandbyIdle, "standby-idle", c.StandbyIdle, "close a standby whose page has been silent this long")
	fs.StringVar(&c.Stream.ListenIP, "media-ip", c.Stream.ListenIP, "IP the media sockets bind to")
	fs.IntVar(&c.Stream.UDPPort, "udp-port", c.Stream.UDPPort, "UDP port shared by all players' media (0: any)")
	fs.IntVar(&c.Stream.TCPPort, "tcp-port", c.Stream.TCPPort, "ICE-TCP fallback port (0: any, -1: off)")
	fs.Var((*listFlag)(&c.Stream.PublicIPs), "public-ip", "addresses players reach this edge at, when behind NAT (comma list)")
}

func serve(args []string) error {
	cfg, err := serveFlags(args)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel)
	if err != nil {
		return err
	}
	st, err := newStack(cfg, log)
	if err != nil {
		return err
	}
	log.Info("Stratus is serving", "url", "http://"+st.Addr().String())
	return runUntilSignal(log, st)
}

// stack is an edge and a signaling node in one process, each behind its own
// HTTP listener.
type stack struct {
	*runningEdge
	edgeLn   net.Listener
	playerLn net.Listener
	probeLn  net.Listener // nil without -probe
	turn     *turn.Server // nil without -turn
	srv      servers
	sig      *signaling.Server
}

func newStack(cfg serveConfig, log *slog.Logger) (_ *stack, err error) {
	reg := newRegistry()
	s := &stack{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.edgeLn, err = net.Listen("tcp", cfg.EdgeAddr); err != nil {
		return nil, err
	}
	if s.playerLn, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, err
	}
	publicURL := "http://" + s.playerLn.Addr().String()
	ec := cfg.Edge
	if cfg.Probe != "" {
		if s.probeLn, err = net.Listen("tcp", cfg.Probe); err != nil {
			return nil, fmt.Errorf("probe listener: %w", err)
		}
		ec.ProbeURL = "http://" + s.probeLn.Addr().String()
	}
	if cfg.Signal.Studio != nil {
		// The edge replicates the studio catalog from its signaling
		// node over HTTP, as a separate edge would.
		ec.CatalogURLs = []string{publicURL}
	}
	if s.runningEdge, err = newRunningEdge(ec, cfg.titles, reg, log); err != nil {
		return nil, err
	}
	// The edge API answers before the signaling node starts, so that the
	// node's first look at its edge finds it.
	edgeSrv := newHTTPServer(s.edge.Handler(), reg)
	edgeSrv.Handler = guardMetrics(edgeSrv.Handler, s.edge.RequireControl)
	s.srv.serve(edgeSrv, s.edgeLn)
	if s.probeLn != nil {
		s.srv.serve(newHTTPServer(s.edge.ProbeHandler(), nil), s.probeLn)
		log.Info("RTT probe served apart", "probe", ec.ProbeURL)
	}
	sc := cfg.Signal
	sc.Name = cfg.Edge.Name + "-signal"
	sc.Region = cfg.Edge.Region
	sc.Edges = []string{"http://" + s.edgeLn.Addr().String()}
	sc.PublicURL = publicURL
	if cfg.turn.Addr != "" || cfg.turn.TLS != "" {
		// Both halves are in this process: a random secret serves.
		tc, err := cfg.turn.config(ec.Stream, nil)
		if err != nil {
			return nil, err
		}
		if s.turn, err = turn.New(tc, reg, log); err != nil {
			return nil, err
		}
		sc.TURN = &signaling.TURN{Secret: tc.Secret, TTL: signaling.DefaultTURNTTL, URLs: map[string][]string{"": s.turn.URLs()}}
	}
	if s.sig, err = signaling.New(sc, web.Handler(), reg, log); err != nil {
		return nil, err
	}
	webSrv := newHTTPServer(s.sig.Handler(), reg)
	webSrv.Handler = guardMetrics(webSrv.Handler, s.sig.RequireOperator)
	webSrv.RegisterOnShutdown(s.sig.EndLongPolls)
	s.srv.serve(webSrv, s.playerLn)
	return s, nil
}

// Addr is the player-facing address.
func (s *stack) Addr() net.Addr { return s.playerLn.Addr() }

// Run serves until ctx ends, then closes: listeners close, sessions end.
func (s *stack) Run(ctx context.Context) error {
	err := s.srv.wait(ctx)
	s.Close()
	return err
}

// Close stops serving and ends every session. Safe to call twice.
func (s *stack) Close() error {
	// The player-facing server stops first: it was added last.
	s.srv.shutdown()
	for _, ln := range []net.Listener{s.playerLn, s.edgeLn, s.probeLn} {
		if ln != nil {
			ln.Close()
		}
	}
	if s.sig != nil {
		s.sig.Close()
	}
	if s.turn != nil {
		s.turn.Close()
	}
	if s.runningEdge == nil {
		return nil
	}
	return s.close()
}
