package netem

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestNamespaceCommandAndDo(t *testing.T) {
	ns, _ := newLinked(t, Impairment{})
	out, err := ns.Command("ip", "-o", "-4", "addr", "show").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), ns.Addr().String()+"/30") {
		t.Errorf("ip addr inside the namespace does not show %v:\n%s", ns.Addr(), out)
	}
	var names []string
	if err := ns.Do(func() error {
		ifs, err := net.Interfaces()
		for _, i := range ifs {
			names = append(names, i.Name)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || names[0] != "lo" || names[1] != ns.devName("n") {
		t.Errorf("interfaces seen by Do: %v, want lo and %s", names, ns.devName("n"))
	}
	// The calling goroutine's thread never left the host's namespace.
	if _, err := net.InterfaceByName(ns.devName("h")); err != nil {
		t.Errorf("after Do the host device is not visible: %v", err)
	}
}

func TestNamespaceCloseRemovesEverything(t *testing.T) {
	for _, kind := range []string{"tun", "veth"} {
		t.Run(kind, func(t *testing.T) {
			requireAvailable(t)
			before := goleak.IgnoreCurrent()
			ns, err := NewNamespace(NamespaceConfig{Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			var hostDev, table string
			switch kind {
			case "tun":
				if _, err := NewLink(LinkConfig{Namespace: ns, Impairment: Symmetric(Shape{Delay: 5e6, Rate: 1e6})}); err != nil {
					t.Fatal(err)
				}
				hostDev = ns.devName("h")
			case "veth":
				v, err := NewVeth(VethConfig{Namespace: ns})
				if err != nil {
					t.Fatal(err)
				}
				if err := v.Loss(HostSide, 5); err != nil {
					t.Fatal(err)
				}
				if err := v.Shape(HostSide, Qdisc{Kind: "tbf", Rate: 1e6}); err != nil {
					t.Fatal(err)
				}
				hostDev, table = v.Dev(HostSide), v.table
			}
			if _, err := net.InterfaceByName(hostDev); err != nil {
				t.Fatalf("host device %s missing while up: %v", hostDev, err)
			}
			if _, err := NewVeth(VethConfig{Namespace: ns}); err == nil {
				t.Error("a second link on one namespace was accepted")
			}
			// The namespace closes its link; closing twice is harmless.
			if err := ns.Close(); err != nil {
				t.Fatal(err)
			}
			if err := ns.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			assertGone(t, ns.Name(), hostDev, table)
			goleak.VerifyNone(t, before)
		})
	}
}

// assertGone checks that no namespace, host device or nft table of the given
// names is left.
func assertGone(t *testing.T, netns, dev, table string) {
	t.Helper()
	if _, err := os.Stat(netnsDir + "/" + netns); err == nil {
		t.Errorf("namespace %s is still there", netns)
	}
	if dev != "" {
		if _, err := net.InterfaceByName(dev); err == nil {
			t.Errorf("host device %s is still there", dev)
		}
	}
	if table != "" {
		out, _ := exec.Command("nft", "list", "tables").Output()
		if strings.Contains(string(out), table) {
			t.Errorf("nft table %s is still there", table)
		}
	}
}

func TestSweepRemovesLeftoversOfDeadProcesses(t *testing.T) {
	requireAvailable(t)
	// A process that has exited lends its pid to the leftovers.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(int64(dead.Process.Pid), 36) + "-zzzz"
	netns, dev, table := nsPrefix+id, devPrefix+id+"v", nftPrefix+strings.ReplaceAll(id, "-", "_")
	t.Cleanup(func() { // in case the sweep fails
		run("ip", "netns", "del", netns)
		run("ip", "link", "del", dev)
		run("nft", "delete", "table", "inet", table)
	})
	for _, args := range [][]string{
		{"ip", "netns", "add", netns},
		{"ip", "tuntap", "add", "dev", dev, "mode", "tun"},
		{"nft", "add", "table", "inet", table},
	} {
		if err := run(args[0], args[1:]...); err != nil {
			t.Fatal(err)
		}
	}
	// A live process's (ours) namespace must survive the sweep.
	ns, err := NewNamespace(NamespaceConfig{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	assertGone(t, netns, dev, table)
	if _, err := os.Stat(netnsDir + "/" + ns.Name()); err != nil {
		t.Errorf("the sweep took a live process's namespace: %v", err)
	}
}
