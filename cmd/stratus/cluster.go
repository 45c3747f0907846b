package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"

	"stratus/cluster"
	"stratus/signaling/studio"
	"stratus/trust"
)

// gossipFlags are the settings every cluster member shares.
type gossipFlags struct {
	key     string
	keyFile string
	dev     bool
}

func (g *gossipFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&g.key, "cluster-key", "", "gossip encryption key, base64 of 16, 24 or 32 bytes (prefer -cluster-key-file or STRATUS_CLUSTER_KEY)")
	fs.StringVar(&g.keyFile, "cluster-key-file", "", "file holding the gossip encryption key")
	fs.BoolVar(&g.dev, "dev", false, "development mode: allow gossip without a key")
}

// clusterKey reads the key; none is an error outside dev mode.
func (g *gossipFlags) clusterKey() ([]byte, error) {
	s := g.key
	if g.keyFile != "" {
		b, err := trust.ReadSecret(g.keyFile, "cluster key", 4096)
		if err != nil {
			return nil, err
		}
		s = strings.TrimSpace(string(b))
	}
	if s == "" {
		if g.dev {
			return nil, nil
		}
		return nil, errors.New("a cluster key is required (-cluster-key-file, STRATUS_CLUSTER_KEY, or -dev to run without one)")
	}
	return cluster.ParseKey(s)
}

// pool builds one gossip pool's configuration.
func (g *gossipFlags) pool(name, node, bind string, join []string, key []byte, profile cluster.Profile) (cluster.PoolConfig, error) {
	host, port, err := splitHostPort(bind)
	if err != nil {
		return cluster.PoolConfig{}, fmt.Errorf("gossip address %q: %w", bind, err)
	}
	return cluster.PoolConfig{
		Pool: name, Name: node, BindAddr: host, BindPort: port,
		Join: join, Key: key, Dev: g.dev, Profile: profile,
	}, nil
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, port, nil
}

// regionMap parses "eu-west=127.0.0.1:7946,us-east=127.0.0.1:7947".
func regionMap(s string) (map[string][]string, error) {
	out := map[string][]string{}
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		region, addr, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || region == "" || addr == "" {
			return nil, fmt.Errorf("%q: want region=host:port", part)
		}
		out[region] = append(out[region], addr)
	}
	return out, nil
}

// parseLocation parses "48.86,2.35".
func parseLocation(s string) (*cluster.Location, error) {
	if s == "" {
		return nil, nil
	}
	a, b, ok := strings.Cut(s, ",")
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if !ok || err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return nil, fmt.Errorf("location %q: want latitude,longitude", s)
	}
	return &cluster.Location{Lat: lat, Lon: lon}, nil
}

// addStudioFlags adds the studio API's settings; the returned function
// gives the configuration after parsing, nil when none was set (no studio
// API on this node).
func addStudioFlags(fs *flag.FlagSet) func() *studio.Config {
	var sc studio.Config
	fs.StringVar(&sc.DataDir, "studio-data", "", "directory of the studio API (empty: none); the title catalog lives there (SQLite) unless the node keeps a ledger (-data-dir, -db), and an older titles.json there is imported")
	fs.StringVar(&sc.KeysFile, "studio-keys", "", `JSON file of studio API keys: {"studio": ["key", …]}`)
	fs.StringVar(&sc.DevKey, "studio-dev-key", "", `development only: an API key (16+ characters) for the studio "dev"`)
	return func() *studio.Config {
		if sc.DataDir == "" && sc.KeysFile == "" && sc.DevKey == "" {
			return nil
		}
		return &sc
	}
}
