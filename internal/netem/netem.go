// Package netem is the network impairment harness of Stratus's tests and
// benchmarks. It puts a player (a Go socket, a program, headless Chromium)
// in a network namespace of its own and joins it to the host by a link whose
// delay, jitter, loss, burst loss and capacity the test sets, and changes
// while traffic flows.
//
// The kernel here has no netem qdisc, so delay and jitter cannot come from
// tc. Two link kinds exist:
//
//   - Link: two TUN devices, one in the namespace and one on the host, with
//     this process copying IP packets between them through a shaper per
//     direction (delay, jitter, random and Gilbert-Elliott loss, a rate with
//     a bounded drop-tail queue). Set changes it live.
//   - Veth: a veth pair with the kernel's own tools: tc tbf or htb for a rate
//     and queue, nftables for random loss of UDP. No delay.
//
// Everything needs root, /dev/net/tun, ip, tc and nft; Available says which
// is missing. Names carry the process id, so parallel test processes do not
// collide, and each new Namespace first removes what dead processes of this
// package left behind.
package netem

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// Available reports every missing piece the harness needs, or nil.
func Available() error {
	var errs []error
	if os.Geteuid() != 0 {
		errs = append(errs, fmt.Errorf("netem: not root (euid %d): namespaces, TUN devices, tc and nft need root", os.Geteuid()))
	}
	if f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0); err != nil {
		errs = append(errs, fmt.Errorf("netem: no usable /dev/net/tun: %w", err))
	} else {
		f.Close()
	}
	for _, tool := range []struct{ name, pkg string }{{"ip", "iproute2"}, {"tc", "iproute2"}, {"nft", "nftables"}} {
		if _, err := exec.LookPath(tool.name); err != nil {
			errs = append(errs, fmt.Errorf("netem: no %s on PATH (Debian package %s)", tool.name, tool.pkg))
		}
	}
	return errors.Join(errs...)
}
