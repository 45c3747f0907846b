package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"time"

	"stratus/cluster"
	"stratus/edge"
	"stratus/title/builtin"
	"stratus/title/catalog"
)

// edgeConfig is one edge node as its own process.
type edgeConfig struct {
	API       string
	PublicURL string
	Gossip    string
	Join      listFlag
	Location  string
	LogLevel  string
	g         gossipFlags
	titles    titleFlags
	Edge      edge.Config
}

func edgeFlags(args []string) (edgeConfig, error) {
	cfg := edgeConfig{Edge: edge.DefaultConfig()}
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	// Loopback by default, like everything else: an operator opens the
	// edge API to signaling nodes on purpose.
	fs.StringVar(&cfg.API, "api", "127.0.0.1:8081", "edge API address (signaling nodes call it; pages fetch its RTT probe)")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "edge API URL as others reach it (default: http:// + -api)")
	// 7946 is memberlist's customary port.
	fs.StringVar(&cfg.Gossip, "gossip", "0.0.0.0:7946", "gossip address (UDP and TCP) of the region's pool")
	fs.Var(&cfg.Join, "join", "gossip addresses of members of the region's pool to join (comma list)")
	fs.StringVar(&cfg.Location, "location", "", "latitude,longitude of the edge, for routing players who measured nothing")
	fs.DurationVar(&cfg.Edge.ProbeDelay, "probe-delay", 0, "artificial delay added to RTT-probe answers (tests and demos)")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.Var((*listFlag)(&cfg.Edge.CatalogURLs), "catalog", "signaling node URLs to read the studio catalog from (default: found through gossip)")
	cfg.g.add(fs)
	cfg.titles.add(fs)
	addEdgeFlags(fs, &cfg.Edge)
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
	pc, err := cfg.g.pool("lan/"+cfg.Edge.Region, cfg.Edge.Name, cfg.Gossip, cfg.Join, key, cluster.ProfileLAN)
	errs = append(errs, err)
	cfg.Edge.Gossip = &pc
	cfg.Edge.StateKey = stateKey(key)
	cfg.Edge.CatalogToken = catalog.Token(key)
	errs = append(errs, cfg.Edge.Validate())
	return cfg, errors.Join(errs...)
}

func runEdge(args []string) error {
	cfg, err := edgeFlags(args)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.API)
	if err != nil {
		return err
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + ln.Addr().String()
	}
	cfg.Edge.APIURL = cfg.PublicURL
	reg := newRegistry()
	builtins, err := builtin.Catalog()
	if err != nil {
		return err
	}
	endGames, killGames, err := cfg.titles.runtime(&cfg.Edge, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer endGames()
	e, err := edge.New(cfg.Edge, builtins, reg, log)
	if err != nil {
		ln.Close()
		return err
	}
	log.Info("edge serving", "api", cfg.PublicURL)
	defer e.Close()
	// The first signal drains: players are moved, then the edge leaves.
	return serveUntilSignal(newHTTPServer(e.Handler(), reg), ln, log, func() {
		if err := e.Drain(context.Background()); err != nil {
			log.Warn("drain ended early", "err", err)
		}
	}, killGames)
}

// runDrain asks an edge to drain and follows it until its players are gone.
func runDrain(args []string) error {
	fs := flag.NewFlagSet("drain", flag.ContinueOnError)
	url := fs.String("edge", "http://127.0.0.1:8081", "edge API URL")
	wait := fs.Duration("wait", time.Minute, "how long to follow the drain")
	if err := loadFlags(fs, args); err != nil {
		return err
	}
	c, err := newEdgeClient(*url)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *wait)
	defer cancel()
	if err := c.Drain(ctx); err != nil {
		return err
	}
	for {
		st, err := c.Status(ctx)
		if err != nil {
			return fmt.Errorf("following the drain: %w", err)
		}
		fmt.Printf("%s: %s, %d sessions left\n", st.Name, st.Health, st.Active)
		if st.Active == 0 {
			fmt.Printf("%s is drained; stop it (SIGTERM) to remove it from the cluster\n", st.Name)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s still has %d sessions after %v", st.Name, st.Active, *wait)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
