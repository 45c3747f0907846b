package main

// Helpers for the multi-process cluster tests (cluster_*_test.go): the
// stratus binary is built once per test binary, and each test starts its own
// signaling nodes and edges as real processes on free loopback ports, with a
// fresh cluster key, logs captured to files (their tails are printed when
// the test fails), and kill -9 and SIGTERM at hand.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/internal/clustertest"
	"stratus/internal/freeport"
	"stratus/signaling"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// stratusBinary builds the command once per test binary.
func stratusBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "stratus-cluster-test-")
		if buildErr != nil {
			return
		}
		buildBin, buildErr = clustertest.Build(context.Background(), buildDir)
	})
	if buildErr != nil {
		t.Fatalf("building stratus: %v", buildErr)
	}
	return buildBin
}

// clusterTest skips the multi-process tests in -short mode; they start
// several processes and Chromium.
func clusterTest(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-process cluster test; skipped with -short")
	}
}

func hostPort(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }

// ---- processes --------------------------------------------------------------

// proc is one stratus process of a test: its log is in the test's
// temporary directory, and it is killed (and its log's tail printed, should
// the test have failed) when the test ends.
type proc struct {
	*clustertest.Process
	t *testing.T
}

// startProc runs argv (argv[0] is the program) with its output in a log
// file named after the process.
func startProc(t *testing.T, name string, argv []string) *proc {
	t.Helper()
	cp, err := clustertest.Start(t.TempDir(), name, argv)
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{Process: cp, t: t}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			p.dumpLog(60)
		}
	})
	return p
}

// term sends SIGTERM and waits up to limit for the process to exit; it
// returns the exit status (nil for 0).
func (p *proc) term(limit time.Duration) error {
	p.t.Helper()
	p.Term()
	exited, err := p.Wait(limit)
	if !exited {
		p.t.Fatalf("%s did not exit within %v of SIGTERM", p.Name, limit)
	}
	return err
}

// dumpLog prints the last n lines of the process's log.
func (p *proc) dumpLog(n int) {
	p.t.Logf("---- log of %s (%s) ----\n%s", p.Name, p.Log, p.LogTail(n))
}

// ---- polling -----------------------------------------------------------------

// poll checks cond every 50 ms until it holds; after limit the test fails
// with why and cond's description of what it saw last.
func poll(t *testing.T, limit time.Duration, why string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s; last seen: %s", limit, why, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// httpc is for the test cluster's HTTP APIs.
var httpc = clustertest.HTTPClient()

// getJSON fetches url into v.
func getJSON(url string, v any) error { return clustertest.GetJSON(httpc, url, v) }

// ---- the cluster ---------------------------------------------------------------

// cluster is one test's set of stratus processes sharing a cluster key
// and an operator token.
type testCluster struct {
	t         *testing.T
	bin       string
	keyFile   string
	tokenFile string
	op        *http.Client // acts as the operator of this cluster
	// registry is the network registry's directory, shared by the
	// signaling nodes; dataDirs each node's data directory, kept across
	// restarts of the same name.
	registry string
	dataDirs map[string]string
	signals  []*signalNode
	edges    map[string]*edgeNode
}

type signalNode struct {
	*proc
	op   *http.Client // the cluster's operator
	name string
	url  string            // player-facing base URL
	lan  map[string]string // region → gossip address of this node's pool
	wan  string            // WAN gossip address, "" if none
}

type edgeNode struct {
	*proc
	name, region string
	api          string // edge API base URL
	gossip       string // host:port
	udp          int    // media port
	opts         edgeOpts
	op           *http.Client // the cluster's operator, for the control API
}

func newCluster(t *testing.T) *testCluster {
	t.Helper()
	clusterTest(t)
	tokenFile, tok, err := clustertest.NewOperatorToken(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &testCluster{t: t, bin: stratusBinary(t), keyFile: newKeyFile(t), tokenFile: tokenFile,
		op: clustertest.OperatorClient(tok), registry: t.TempDir(), dataDirs: map[string]string{}, edges: map[string]*edgeNode{}}
}

// dataDir is node's data directory, the same for every start of it.
func (c *testCluster) dataDir(node string) string {
	if c.dataDirs[node] == "" {
		c.dataDirs[node] = c.t.TempDir()
	}
	return c.dataDirs[node]
}

// testOperator is the edge operator the test cluster enrolls its edges as.
const testOperator = "lab"

// enrollEdge enrolls node as testOperator's with the first signaling
// node's registry and returns its data directory; TestClusterEnrollment
// enrolls through the edge itself.
func (c *testCluster) enrollEdge(node string) string {
	c.t.Helper()
	if len(c.signals) == 0 {
		c.t.Fatal("start a signaling node before the edges: it keeps the registry they enroll with")
	}
	dir := c.dataDir(node)
	if err := clustertest.EnrollEdge(c.t.Context(), c.op, c.signals[0].url, testOperator, dir, node); err != nil {
		c.t.Fatalf("enrolling %s: %v", node, err)
	}
	return dir
}

// newKeyFile writes a fresh cluster key (32 random bytes, base64) to a
// file of its own.
func newKeyFile(t *testing.T) string {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	path := filepath.Join(t.TempDir(), "cluster.key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// signalOpts describes a signaling node.
type signalOpts struct {
	name    string
	region  string            // default "lab": no edge's region, so round trips decide
	regions []string          // regions routed for (a LAN pool each); default eu-west, us-east
	lanIP   map[string]string // region → IP its pool binds; default 127.0.0.1
	join    *signalNode
	noToken bool // start it without the cluster's operator token
	// again, when set, is this node's previous process, whose addresses
	// the new one takes: a restart in place.
	again *signalNode
	extra []string
}

// startSignal starts a signaling node with a LAN pool per region and a WAN
// pool; with join set it joins that node's pools.
func (c *testCluster) startSignal(o signalOpts) *signalNode {
	c.t.Helper()
	if o.region == "" {
		o.region = "lab"
	}
	if o.regions == nil {
		o.regions = []string{"eu-west", "us-east"}
	}
	for attempt := 1; ; attempt++ {
		s := &signalNode{name: o.name, op: c.op, lan: map[string]string{}}
		addr := hostPort("127.0.0.1", freeport.Must(c.t, "127.0.0.1", freeport.TCP))
		if o.again != nil {
			addr = hostOf(o.again.url)
		}
		s.url = "http://" + addr
		var lan, joinLAN []string
		for _, r := range o.regions {
			ip := "127.0.0.1"
			if o.lanIP[r] != "" {
				ip = o.lanIP[r]
			}
			s.lan[r] = hostPort(ip, freeport.Must(c.t, ip, freeport.Both))
			if o.again != nil {
				s.lan[r] = o.again.lan[r]
			}
			lan = append(lan, r+"="+s.lan[r])
			if o.join != nil {
				joinLAN = append(joinLAN, r+"="+o.join.lan[r])
			}
		}
		s.wan = hostPort("127.0.0.1", freeport.Must(c.t, "127.0.0.1", freeport.Both))
		if o.again != nil {
			s.wan = o.again.wan
		}
		// Every player of these tests comes from loopback: one address
		// playing many games.
		args := []string{c.bin, "signal", "-name", o.name, "-region", o.region, "-addr", addr,
			"-lan", strings.Join(lan, ","), "-wan", s.wan, "-cluster-key-file", c.keyFile,
			"-data-dir", c.dataDir(o.name), "-registry", c.registry}
		args = append(args, clustertest.ManyPlayers()...)
		if !o.noToken {
			args = append(args, "-operator-token-file", c.tokenFile)
		}
		if o.join != nil {
			args = append(args, "-join-lan", strings.Join(joinLAN, ","), "-join-wan", o.join.wan)
		}
		args = append(args, o.extra...)
		s.proc = startProc(c.t, fmt.Sprintf("%s-%d", o.name, attempt), args)
		if c.waitReady(s.proc, s.url+"/healthz", attempt) {
			c.signals = append(c.signals, s)
			return s
		}
	}
}

// waitReady waits until url answers 200; false means the process lost a
// port race and should be started again on other ports.
func (c *testCluster) waitReady(p *proc, url string, attempt int) bool {
	c.t.Helper()
	err := p.WaitReady(c.t.Context(), httpc, url, 20*time.Second)
	if err == nil {
		return true
	}
	if p.Exited() {
		if p.BindFailed() && attempt < 4 {
			c.t.Logf("%s lost a port race; starting it again", p.Name)
			return false
		}
		p.dumpLog(40)
	}
	c.t.Fatal(err)
	return false
}

// edgeOpts describes an edge.
type edgeOpts struct {
	name, region string
	probeDelay   time.Duration
	capacity     int         // default 2
	join         *signalNode // whose pool for the region to join
	joinAddr     string      // or this gossip address
	keyFile      string      // default: the cluster's
	// dataDir, when set, is the edge's data directory as is (not enrolled
	// by the test; "-": none); by default the edge is enrolled as
	// testOperator's.
	dataDir string
	extra   []string
	// env is added to the edge's environment (NAME=value), which
	// clustertest otherwise strips of STRATUS_ settings.
	env []string
	// Where the edge lives; default 127.0.0.1 on this network.
	ip     string
	netns  string // run inside this network namespace (ip netns exec)
	ports  *edgePorts
	noWait bool // do not wait for the API to answer
}

// edgePorts are an edge's listening ports, fixed to restart it on the
// same addresses.
type edgePorts struct{ api, gossip, udp int }

// startEdge starts an edge that joins its region's pool.
func (c *testCluster) startEdge(o edgeOpts) *edgeNode {
	c.t.Helper()
	if o.capacity == 0 {
		o.capacity = 2
	}
	if o.ip == "" {
		o.ip = "127.0.0.1"
	}
	if o.keyFile == "" {
		o.keyFile = c.keyFile
	}
	join := o.joinAddr
	if join == "" && o.join != nil {
		join = o.join.lan[o.region]
	}
	dataDir := o.dataDir
	switch dataDir {
	case "":
		dataDir = c.enrollEdge(o.name)
	case "-":
		dataDir = ""
	}
	for attempt := 1; ; attempt++ {
		ports := o.ports
		if ports == nil {
			ports = &edgePorts{api: freeport.Must(c.t, o.ip, freeport.TCP), gossip: freeport.Must(c.t, o.ip, freeport.Both), udp: freeport.Must(c.t, o.ip, freeport.UDP)}
		}
		e := &edgeNode{name: o.name, region: o.region, opts: o, udp: ports.udp, op: c.op,
			api: "http://" + hostPort(o.ip, ports.api), gossip: hostPort(o.ip, ports.gossip)}
		args := []string{c.bin, "edge", "-name", o.name, "-region", o.region,
			"-api", hostPort(o.ip, ports.api), "-gossip", e.gossip,
			"-media-ip", o.ip, "-udp-port", strconv.Itoa(ports.udp), "-tcp-port", "-1",
			"-capacity", strconv.Itoa(o.capacity)}
		if dataDir != "" {
			args = append(args, "-data-dir", dataDir)
		}
		if o.probeDelay > 0 {
			args = append(args, "-probe-delay", o.probeDelay.String())
		}
		if join != "" {
			args = append(args, "-join", join)
		}
		if o.keyFile != "-" {
			args = append(args, "-cluster-key-file", o.keyFile)
		}
		args = append(args, "-operator-token-file", c.tokenFile)
		args = append(args, o.extra...)
		if len(o.env) > 0 {
			args = append(append([]string{"env"}, o.env...), args...)
		}
		if o.netns != "" {
			args = append([]string{"ip", "netns", "exec", o.netns}, args...)
		}
		e.proc = startProc(c.t, fmt.Sprintf("%s-%d", o.name, attempt), args)
		if o.noWait {
			return e
		}
		if c.waitReady(e.proc, e.api+"/healthz", attempt) {
			c.edges[o.name] = e
			return e
		}
		if o.ports != nil {
			// Fixed ports: give the old process's sockets a moment.
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// edgeView is one entry of a signaling node's GET /v1/edges, as an
// operator's tools read it.
type edgeView struct {
	Name     string   `json:"name"`
	Region   string   `json:"region"`
	Operator string   `json:"operator"`
	API      string   `json:"api"`
	Probe    string   `json:"probe"`
	Media    string   `json:"media"`
	Capacity int      `json:"capacity"`
	Free     int      `json:"free"`
	Health   string   `json:"health"`
	Titles   []string `json:"titles"`
	State    string   `json:"state"`
}

// getJSON fetches a path of the node's operator endpoints into v.
func (s *signalNode) getJSON(path string, v any) error {
	return clustertest.GetJSON(s.op, s.url+path, v)
}

// edgesOf reads a signaling node's edge list.
func edgesOf(s *signalNode) ([]edgeView, error) {
	var out []edgeView
	err := s.getJSON("/v1/edges", &out)
	return out, err
}

func describeEdges(list []edgeView) string {
	var parts []string
	for _, e := range list {
		parts = append(parts, fmt.Sprintf("%s(%s %s free %d/%d %s %s)", e.Name, e.Region, e.API, e.Free, e.Capacity, e.Health, e.State))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// waitEdges polls a signaling node until it lists exactly want (names), each
// satisfying check when given.
func waitEdges(t *testing.T, s *signalNode, limit time.Duration, want []string, check func(edgeView) bool) []edgeView {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	var got []edgeView
	poll(t, limit, fmt.Sprintf("%s to list edges %v", s.name, want), func() (bool, string) {
		list, err := edgesOf(s)
		if err != nil {
			return false, err.Error()
		}
		got = list
		var names []string
		for _, e := range list {
			if check != nil && !check(e) {
				return false, describeEdges(list)
			}
			names = append(names, e.Name)
		}
		return slices.Equal(names, want), describeEdges(list)
	})
	return got
}

// edgeStatus reads an edge's GET /v1/status, as the operator.
func edgeStatus(e *edgeNode) (api.Status, error) {
	var st api.Status
	err := clustertest.GetJSON(e.op, e.api+"/v1/status", &st)
	return st, err
}

// startStandardCluster is the shape of scripts/cluster.sh: one signaling
// node and eu-west-1, eu-west-2 (probes answered 10 ms late) and us-east-1
// (80 ms), and waits until the node lists all three.
func startStandardCluster(t *testing.T, edgeExtra ...string) (*testCluster, *signalNode) {
	t.Helper()
	c := newCluster(t)
	s := c.startSignal(signalOpts{name: "signal-1"})
	c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", probeDelay: 10 * time.Millisecond, join: s, extra: edgeExtra})
	c.startEdge(edgeOpts{name: "eu-west-2", region: "eu-west", probeDelay: 10 * time.Millisecond, join: s, extra: edgeExtra})
	c.startEdge(edgeOpts{name: "us-east-1", region: "us-east", probeDelay: 80 * time.Millisecond, join: s, extra: edgeExtra})
	waitEdges(t, s, 15*time.Second, []string{"eu-west-1", "eu-west-2", "us-east-1"}, okEdge)
	return c, s
}

func okEdge(e edgeView) bool { return e.Health == string(cluster.HealthOK) }

// ---- the page -------------------------------------------------------------------

// waitPage polls the page's state until cond holds.
func waitPage(t *testing.T, ctx context.Context, limit time.Duration, why string, cond func(clustertest.Page) bool) clustertest.Page {
	t.Helper()
	var last clustertest.Page
	poll(t, limit, why, func() (bool, string) {
		ps, err := clustertest.ReadPage(ctx)
		if err != nil {
			return false, err.Error()
		}
		last = ps
		return cond(ps), ps.String()
	})
	return last
}

// waitPlaying waits until the page plays on an edge and has presented
// frames beyond minFrames, which shows video really arrives.
func waitPlaying(t *testing.T, ctx context.Context, limit time.Duration, why string, minFrames float64, cond func(clustertest.Page) bool) clustertest.Page {
	t.Helper()
	return waitPage(t, ctx, limit, why, func(ps clustertest.Page) bool {
		return ps.State == "playing" && ps.Edge != "" && ps.FramesPresented > minFrames && (cond == nil || cond(ps))
	})
}

// openPage opens the play page in a fresh Chromium, started with extra
// options (a namespace wrapper, say).
func openPage(t *testing.T, url string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	ctx := newBrowser(t, extra...)
	if err := clustertest.WatchErrors(ctx); err != nil {
		t.Fatalf("watching the page's errors: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	return ctx
}

// framesGrow checks that the page presents more frames over a short while:
// it is really playing, not merely in the playing state.
func framesGrow(t *testing.T, ctx context.Context, by float64, limit time.Duration) {
	t.Helper()
	ps, err := clustertest.ReadPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := ps.FramesPresented
	waitPage(t, ctx, limit, fmt.Sprintf("%v more frames presented", by), func(ps clustertest.Page) bool {
		return ps.State == "playing" && ps.FramesPresented >= start+by
	})
}

// loadAvg is the one-minute load average, for logs next to timings.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// ---- a player without a browser ----------------------------------------------------

// player is a Go client of the player protocol with a real Pion offer: one
// recvonly video transceiver and the "input" data channel, as the page.
type player struct {
	t     *testing.T
	name  string
	ws    *websocket.Conn
	pc    *webrtc.PeerConnection
	hello signaling.Message
	msgs  chan signaling.Message
	wmu   sync.Mutex
}

// dialPlayer opens the player WebSocket of a signaling node and reads its
// greeting.
func dialPlayer(t *testing.T, name, signalURL string) *player {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(signalURL, "http")+"/v1/ws", http.Header{"Origin": {signalURL}})
	if err != nil {
		t.Fatalf("%s: dialing %s: %v", name, signalURL, err)
	}
	p := &player{t: t, name: name, ws: ws, msgs: make(chan signaling.Message, 64)}
	go func() {
		defer close(p.msgs)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var m signaling.Message
			if json.Unmarshal(data, &m) == nil {
				p.msgs <- m
			}
		}
	}()
	t.Cleanup(p.close)
	select {
	case m, ok := <-p.msgs:
		if !ok || m.Type != signaling.TypeHello {
			t.Fatalf("%s: first message %+v, want hello", name, m)
		}
		p.hello = m
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no greeting from %s", name, signalURL)
	}
	return p
}

// allowedIPs are where test players may gather candidates: loopback and the
// test's own namespaces' range.
var allowedIPs = []*net.IPNet{
	{IP: net.IPv4(127, 0, 0, 0), Mask: net.CIDRMask(8, 32)},
	{IP: net.IPv4(10, 213, 0, 0), Mask: net.CIDRMask(16, 32)},
}

// offer makes the player's PeerConnection and its offer.
func (p *player) offer() (string, error) {
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIPFilter(func(ip net.IP) bool {
		for _, n := range allowedIPs {
			if n.Contains(ip) {
				return true
			}
		}
		return false
	})
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return "", err
	}
	if p.pc != nil {
		p.pc.Close()
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", err
	}
	p.pc = pc
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return "", err
	}
	if _, err := pc.CreateDataChannel("input", nil); err != nil {
		return "", err
	}
	// Read and drop the video, as a player that is not looking.
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Read(buf); err != nil {
				return
			}
		}
	})
	o, err := pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	if err := pc.SetLocalDescription(o); err != nil {
		return "", err
	}
	return o.SDP, nil
}

func (p *player) send(m signaling.Message) error {
	data, _ := json.Marshal(m)
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return p.ws.WriteMessage(websocket.TextMessage, data)
}

// join asks for a session and waits for "joined" or "error". With connect,
// a joined player completes ICE with the edge so the session stays up.
func (p *player) join(title string, connect bool, exclude ...string) (signaling.Message, error) {
	sdp, err := p.offer()
	if err != nil {
		return signaling.Message{}, err
	}
	if err := p.send(signaling.Message{Type: signaling.TypeJoin, Title: title, SDP: sdp, Exclude: exclude}); err != nil {
		return signaling.Message{}, err
	}
	timeout := time.After(20 * time.Second)
	for {
		select {
		case m, ok := <-p.msgs:
			if !ok {
				return signaling.Message{}, fmt.Errorf("%s: socket closed before an answer", p.name)
			}
			switch m.Type {
			case signaling.TypeJoined:
				if connect {
					if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP}); err != nil {
						return m, fmt.Errorf("%s: answer: %w", p.name, err)
					}
				}
				return m, nil
			case signaling.TypeError:
				return m, nil
			}
		case <-timeout:
			return signaling.Message{}, fmt.Errorf("%s: no answer to the join in 20 s", p.name)
		}
	}
}

// connected says whether the player's PeerConnection is connected.
func (p *player) connected() bool {
	return p.pc != nil && p.pc.ConnectionState() == webrtc.PeerConnectionStateConnected
}

func (p *player) leave() error { return p.send(signaling.Message{Type: signaling.TypeLeave}) }

// close drops the WebSocket and the PeerConnection.
func (p *player) close() {
	p.ws.Close()
	if p.pc != nil {
		p.pc.Close()
	}
}
