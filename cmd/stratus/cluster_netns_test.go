package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The namespaces' addresses: private ranges that exist only between this
// host and namespaces the test creates (and removes).
const (
	netnsHostA, netnsEdgeA = "10.213.1.1", "10.213.1.2"
	netnsHostB, netnsEdgeB = "10.213.2.1", "10.213.2.2"
)

// ip runs the ip command.
func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// netnsPrefix and the veth prefixes name what this test creates; the
// creating test process's pid follows, so that leftovers of a crashed run
// can be told from a run in progress.
const (
	netnsPrefix = "stratus-t"
	vethHost    = "sth"
	vethNS      = "stn"
)

func pidAlive(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

// removeStale deletes namespaces and veths left by earlier runs of this
// test whose process is gone.
func removeStale(t *testing.T) {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest, ok := strings.CutPrefix(name, netnsPrefix)
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimRight(rest, "ab"))
		if err == nil && !pidAlive(pid) {
			t.Logf("removing stale namespace %s", name)
			ip("netns", "del", name)
		}
	}
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		rest, ok := strings.CutPrefix(i.Name, vethHost)
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimRight(rest, "ab"))
		if err == nil && !pidAlive(pid) {
			t.Logf("removing stale interface %s", i.Name)
			ip("link", "del", i.Name)
		}
	}
}

// addrInUse reports an interface that already holds an address of cidr.
func addrInUse(cidr string) string {
	_, n, _ := net.ParseCIDR(cidr)
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && n.Contains(ipn.IP) {
				return i.Name + " " + ipn.String()
			}
		}
	}
	return ""
}

// netnsPair creates a namespace joined to the host by a veth pair, host
// side hostIP/24, namespace side nsIP/24, and removes both at cleanup
// (even when the test fails). It returns the namespace's name, or skips the
// test saying what failed.
func netnsPair(t *testing.T, tag, hostIP, nsIP string) string {
	t.Helper()
	pid := os.Getpid()
	ns := fmt.Sprintf("%s%d%s", netnsPrefix, pid, tag)
	hostIf := fmt.Sprintf("%s%d%s", vethHost, pid, tag)
	nsIf := fmt.Sprintf("%s%d%s", vethNS, pid, tag)
	if err := ip("netns", "add", ns); err != nil {
		t.Skipf("network namespaces unavailable: %v", err)
	}
	t.Cleanup(func() {
		if err := ip("netns", "del", ns); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		// Deleting the namespace deletes the pair; this is for the case
		// where the namespace side never moved in.
		if _, err := net.InterfaceByName(hostIf); err == nil {
			ip("link", "del", hostIf)
		}
	})
	steps := [][]string{
		{"link", "add", hostIf, "type", "veth", "peer", "name", nsIf, "netns", ns},
		{"addr", "add", hostIP + "/24", "dev", hostIf},
		{"link", "set", hostIf, "up"},
		{"-n", ns, "addr", "add", nsIP + "/24", "dev", nsIf},
		{"-n", ns, "link", "set", nsIf, "up"},
		{"-n", ns, "link", "set", "lo", "up"},
	}
	for i, s := range steps {
		if err := ip(s...); err != nil {
			t.Skipf("cannot set up namespace %s: %v", ns, err)
		}
		if i == 0 {
			// No IPv6 on the host side: its link-local address would
			// appear a second or two after the link comes up, and
			// Chromium, seeing the host's addresses change, fails the
			// page's requests in flight (ERR_NETWORK_CHANGED).
			f := "/proc/sys/net/ipv6/conf/" + hostIf + "/disable_ipv6"
			if err := os.WriteFile(f, []byte("1"), 0o644); err != nil && !os.IsNotExist(err) {
				t.Logf("keeping IPv6 on %s: %v", hostIf, err)
			}
		}
	}
	// The link may take a moment to come up.
	poll(t, 10*time.Second, "the namespace to answer on "+nsIP, func() (bool, string) {
		err := exec.Command("ip", "netns", "exec", ns, "ip", "-4", "-o", "addr", "show", "dev", nsIf).Run()
		if err != nil {
			return false, err.Error()
		}
		c, err := net.DialTimeout("tcp", nsIP+":9", 200*time.Millisecond)
		if c != nil {
			c.Close()
		}
		// "connection refused" comes from the namespace's stack: it is up.
		return err == nil || strings.Contains(err.Error(), "refused"), fmt.Sprint(err)
	})
	return ns
}

// TestClusterNetns runs each edge in a network namespace of its own, on its
// own address, joined to the host by a veth pair; the signaling node on the
// host gossips with each through the host side of its pair. Both edges are
// listed with their own addresses, Chromium on the host plays on one of
// them over ICE to the namespace's address, and when that edge is killed
// moves to the other namespace.
func TestClusterNetns(t *testing.T) {
	clusterTest(t)
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root (this test runs ip netns add)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("the ip command (iproute2) is not installed")
	}
	removeStale(t)
	for _, cidr := range []string{"10.213.1.0/24", "10.213.2.0/24"} {
		if in := addrInUse(cidr); in != "" {
			t.Skipf("%s is already in use on this machine (%s); not touching it", cidr, in)
		}
	}
	nsA := netnsPair(t, "a", netnsHostA, netnsEdgeA)
	nsB := netnsPair(t, "b", netnsHostB, netnsEdgeB)

	c := newCluster(t)
	// The signaling node's pool for each region listens on the host side
	// of that region's pair: the address its edges can reach.
	s := c.startSignal(signalOpts{name: "signal-1", lanIP: map[string]string{"eu-west": netnsHostA, "us-east": netnsHostB}})
	inNS := func(name, region, ns, addr string) *edgeNode {
		// A fresh namespace has every port free.
		return c.startEdge(edgeOpts{name: name, region: region, join: s, ip: addr, netns: ns,
			ports: &edgePorts{api: 8081, gossip: 7946, udp: 3478}})
	}
	inNS("eu-west-1", "eu-west", nsA, netnsEdgeA)
	inNS("us-east-1", "us-east", nsB, netnsEdgeB)
	list := waitEdges(t, s, 15*time.Second, []string{"eu-west-1", "us-east-1"}, okEdge)
	t.Logf("edges: %s", describeEdges(list))
	want := map[string]string{"eu-west-1": netnsEdgeA, "us-east-1": netnsEdgeB}
	for _, e := range list {
		if e.API != "http://"+want[e.Name]+":8081" || e.Media != want[e.Name]+":3478" {
			t.Errorf("%s listed with API %q and media %q, want its namespace address %s", e.Name, e.API, e.Media, want[e.Name])
		}
	}

	// Chromium on the host plays on a namespaced edge: the RTT probes,
	// the edge API and the media all cross a veth.
	ctx := openPage(t, s.url+"/play?title=testpattern")
	ps := waitPlaying(t, ctx, 30*time.Second, "the page to play on an edge in a namespace", 30, nil)
	framesGrow(t, ctx, 60, 10*time.Second)
	t.Logf("page plays on %s (%s), measured %v", ps.Edge, ps.Region, ps.RTTs)
	serving := c.edges[ps.Edge]
	st, err := edgeStatus(serving)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Sessions) != 1 || st.Sessions[0].State != "connected" || !strings.HasPrefix(st.MediaUDP, want[ps.Edge]+":") {
		t.Errorf("%s: media %s, sessions %+v; want one connected session on its namespace address", ps.Edge, st.MediaUDP, st.Sessions)
	}

	// Killing it moves the page to the other namespace.
	other := "us-east"
	if ps.Region == "us-east" {
		other = "eu-west"
	}
	next, took := killAndFollow(t, ctx, c, other, 0, viaStandby)
	t.Logf("failover between namespaces to %s took %v from kill to first new frame", next, took.Round(time.Millisecond))
}
