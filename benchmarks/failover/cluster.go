package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"stratus/internal/clustertest"
	"stratus/internal/freeport"
)

// cluster is a signaling node and three edges, each its own process on
// loopback, the shape of scripts/cluster.sh: eu-west-1 and eu-west-2 answer
// RTT probes 10 ms late, us-east-1 80 ms late. The signaling node's region
// is one no edge is in, so the page's round trips decide.
type cluster struct {
	bin    string
	dir    string // keys and logs
	key    string
	token  string       // the operator token's file
	op     *http.Client // acts as the cluster's operator
	signal *clustertest.Process
	url    string            // the signaling node's player-facing URL
	lan    map[string]string // region → the signaling node's pool address
	edges  map[string]*edge
}

// edge is one edge of the cluster; its process is nil until it starts,
// and a new one each time it is started again.
type edge struct {
	*clustertest.Process
	name   string
	region string
	delay  time.Duration
	api    string // base URL
	ports  [3]int // API, gossip, media
}

// httpc is for the cluster's HTTP APIs.
var httpc = clustertest.HTTPClient()

func startCluster(ctx context.Context, bin, dir string) (*cluster, error) {
	c := &cluster{bin: bin, dir: dir, lan: map[string]string{}, edges: map[string]*edge{}}
	key := make([]byte, 32)
	rand.Read(key)
	c.key = filepath.Join(dir, "cluster.key")
	if err := os.WriteFile(c.key, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, err
	}
	tokenFile, tok, err := clustertest.NewOperatorToken(dir)
	if err != nil {
		return nil, err
	}
	c.token, c.op = tokenFile, clustertest.OperatorClient(tok)
	ports, err := freeport.Ports("127.0.0.1", 4, freeport.Both)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	c.url = "http://" + addr
	c.lan["eu-west"] = "127.0.0.1:" + strconv.Itoa(ports[1])
	c.lan["us-east"] = "127.0.0.1:" + strconv.Itoa(ports[2])
	// Every trial's page comes from loopback: one address, many players.
	c.signal, err = c.start("signal-1", append([]string{"signal", "-name", "signal-1", "-region", "lab", "-addr", addr,
		"-lan", "eu-west=" + c.lan["eu-west"] + ",us-east=" + c.lan["us-east"],
		"-wan", "127.0.0.1:" + strconv.Itoa(ports[3]), "-cluster-key-file", c.key,
		"-operator-token-file", c.token, "-data-dir", filepath.Join(dir, "signal-1")}, clustertest.ManyPlayers()...)...)
	if err != nil {
		return nil, err
	}
	if err := c.waitHealthy(ctx, c.signal, c.url+"/healthz"); err != nil {
		return c, err
	}
	for _, e := range []struct {
		name, region string
		delay        time.Duration
	}{{"eu-west-1", "eu-west", 10 * time.Millisecond}, {"eu-west-2", "eu-west", 10 * time.Millisecond}, {"us-east-1", "us-east", 80 * time.Millisecond}} {
		p, err := freeport.Ports("127.0.0.1", 3, freeport.Both)
		if err != nil {
			return c, err
		}
		ed := &edge{name: e.name, region: e.region, delay: e.delay, ports: [3]int{p[0], p[1], p[2]}}
		c.edges[e.name] = ed
		if err := c.startEdge(ctx, ed); err != nil {
			return c, err
		}
	}
	return c, c.waitListed(ctx, []string{"eu-west-1", "eu-west-2", "us-east-1"}, 20*time.Second)
}

// startEdge starts (or restarts) an edge on its ports.
func (c *cluster) startEdge(ctx context.Context, e *edge) error {
	data := filepath.Join(c.dir, e.name)
	if err := clustertest.EnrollEdge(ctx, c.op, c.url, "lab", data, e.name); err != nil {
		return err
	}
	api := "127.0.0.1:" + strconv.Itoa(e.ports[0])
	e.api = "http://" + api
	for attempt := 1; ; attempt++ {
		n, err := c.start(e.name, "edge", "-name", e.name, "-region", e.region, "-probe-delay", e.delay.String(),
			"-api", api, "-gossip", "127.0.0.1:"+strconv.Itoa(e.ports[1]), "-join", c.lan[e.region],
			"-media-ip", "127.0.0.1", "-udp-port", strconv.Itoa(e.ports[2]), "-tcp-port", "-1",
			"-cluster-key-file", c.key, "-operator-token-file", c.token, "-data-dir", data)
		if err != nil {
			return err
		}
		e.Process = n
		err = c.waitHealthy(ctx, n, e.api+"/healthz")
		if err == nil || attempt == 5 || !n.BindFailed() {
			return err
		}
		// The killed process's sockets may linger a moment.
		time.Sleep(300 * time.Millisecond)
	}
}

// start runs the stratus binary with args, its output appended to
// dir/name.log.
func (c *cluster) start(name string, args ...string) (*clustertest.Process, error) {
	return clustertest.Start(c.dir, name, append([]string{c.bin}, args...))
}

func (c *cluster) stop() {
	for _, e := range c.edges {
		if e.Process != nil {
			e.Kill()
		}
	}
	if c.signal != nil {
		c.signal.Kill()
	}
}

// waitHealthy waits until url answers 200 OK; the error says why not,
// with the tail of the node's log should it have exited.
func (c *cluster) waitHealthy(ctx context.Context, n *clustertest.Process, url string) error {
	err := n.WaitReady(ctx, httpc, url, 20*time.Second)
	switch {
	case err == nil || ctx.Err() != nil:
		return err
	case n.Exited():
		return fmt.Errorf("%w; log %s:\n%s", err, n.Log, n.LogTail(15))
	default:
		return fmt.Errorf("%w; log %s", err, n.Log)
	}
}

// edgeEntry is one entry of GET /v1/edges.
type edgeEntry struct {
	Name     string `json:"name"`
	Health   string `json:"health"`
	Capacity int    `json:"capacity"`
	Free     int    `json:"free"`
}

// waitListed waits until the signaling node lists exactly these edges,
// healthy with every slot free.
func (c *cluster) waitListed(ctx context.Context, names []string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	want := slices.Sorted(slices.Values(names))
	var seen string
	for {
		var list []edgeEntry
		if err := clustertest.GetJSON(c.op, c.url+"/v1/edges", &list); err == nil {
			var got []string
			ok := true
			for _, e := range list {
				got = append(got, e.Name)
				ok = ok && e.Health == "ok" && e.Free == e.Capacity
			}
			seen = fmt.Sprintf("%+v", list)
			if ok && slices.Equal(got, want) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("signaling does not list %v healthy and free after %v; it lists %s", want, limit, seen)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// idle waits until no edge has a session left (the previous page's
// sessions end when it leaves, or when the edge notices it is gone).
func (c *cluster) idle(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		busy := ""
		for _, e := range c.edges {
			var st struct {
				Active int `json:"active"`
			}
			if err := clustertest.GetJSON(c.op, e.api+"/v1/status", &st); err != nil {
				busy += fmt.Sprintf(" %s: %v", e.name, err)
			} else if st.Active > 0 {
				busy += fmt.Sprintf(" %s: %d sessions", e.name, st.Active)
			}
		}
		if busy == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("edges still busy after %v:%s", limit, busy)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

func getJSON(url string, v any) error { return clustertest.GetJSON(httpc, url, v) }

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
