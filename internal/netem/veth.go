package netem

import (
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Side is one end of a Veth: shaping and loss act on the packets that end
// sends.
type Side int

const (
	HostSide Side = iota
	NamespaceSide
)

func (s Side) String() string {
	if s == HostSide {
		return "host side"
	}
	return "namespace side"
}

// Qdisc is a kernel rate limit on one side of a Veth.
type Qdisc struct {
	// Kind is "tbf" (a token bucket, the queue in front of it) or "htb" (one
	// class at Rate with a byte FIFO as its queue).
	Kind string
	// Rate in bit/s, MinRate to MaxRate.
	Rate int64
	// Queue bounds the waiting packets as time to drain at Rate; QueueBytes,
	// when set, in bytes instead. Both zero: DefaultQueue.
	Queue      time.Duration
	QueueBytes int
}

// Validate reports every problem at once.
func (q Qdisc) Validate() error {
	var errs []error
	if q.Kind != "tbf" && q.Kind != "htb" {
		errs = append(errs, fmt.Errorf("netem: qdisc kind %q: want tbf or htb (this kernel has no netem, fq_codel or cake)", q.Kind))
	}
	if q.Rate < MinRate || q.Rate > MaxRate {
		errs = append(errs, fmt.Errorf("netem: qdisc rate %d bit/s: must be %d to %d", q.Rate, MinRate, MaxRate))
	}
	errs = append(errs, Shape{Rate: max(q.Rate, MinRate), Queue: q.Queue, QueueBytes: q.QueueBytes}.Validate("qdisc"))
	return errors.Join(errs...)
}

// bytes are the queue's limit and the bucket's burst, in bytes. The burst
// holds two full packets, or 4 ms at Rate (one tick of a 250 Hz kernel)
// when that is more, so the bucket never starves between ticks.
func (q Qdisc) bytes(mtu int) (limit, burst int) {
	limit = q.QueueBytes
	if limit == 0 {
		wait := q.Queue
		if wait == 0 {
			wait = DefaultQueue
		}
		limit = int(float64(q.Rate) / 8 * wait.Seconds())
	}
	return max(limit, mtu), max(2*mtu, int(q.Rate/8/250))
}

// VethConfig describes a kernel link between the host and a namespace.
type VethConfig struct {
	Namespace *Namespace
	// MTU of both ends; 0: DefaultMTU.
	MTU    int
	Logger *slog.Logger
}

// Veth is a veth pair between the host ("sn<id>v", Namespace.HostAddr) and
// a namespace ("sn<id>w", Namespace.Addr and its default route), shaped by
// the kernel: no delay, but the real tc and nftables paths. Its methods are
// safe for concurrent use; Close is safe twice, and the namespace's Close
// closes it too.
type Veth struct {
	ns              *Namespace
	hostDev, nsDev  string
	table           string
	mtu             int
	log             *slog.Logger
	mu              sync.Mutex
	closed, hostNFT bool
	blocks          []Block // what Block put in the namespace's table
}

// NewVeth creates and addresses the pair.
func NewVeth(cfg VethConfig) (*Veth, error) {
	if cfg.Namespace == nil {
		return nil, errors.New("netem: veth: no namespace")
	}
	if cfg.MTU == 0 {
		cfg.MTU = DefaultMTU
	}
	if cfg.MTU < 576 || cfg.MTU > 65535 {
		return nil, fmt.Errorf("netem: veth: MTU %d: must be 576 to 65535", cfg.MTU)
	}
	ns := cfg.Namespace
	if err := ns.claim(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = ns.log
	}
	v := &Veth{
		ns: ns, hostDev: ns.devName("v"), nsDev: ns.devName("w"), mtu: cfg.MTU, log: log,
		table: nftPrefix + strings.ReplaceAll(ns.id, "-", "_"),
	}
	mtu := strconv.Itoa(cfg.MTU)
	if err := run("ip", "link", "add", v.hostDev, "mtu", mtu, "type", "veth", "peer", "name", v.nsDev, "mtu", mtu, "netns", ns.name); err != nil {
		return nil, fmt.Errorf("netem: veth: %w", err)
	}
	steps := []error{
		run("ip", "link", "set", "dev", v.hostDev, "addrgenmode", "none", "up"),
		run("ip", "addr", "add", ns.HostAddr().String()+"/30", "dev", v.hostDev),
		ns.run("ip", "link", "set", "dev", v.nsDev, "addrgenmode", "none", "up"),
		ns.run("ip", "addr", "add", ns.Addr().String()+"/30", "dev", v.nsDev),
		ns.run("ip", "route", "add", "default", "dev", v.nsDev),
	}
	if err := errors.Join(steps...); err != nil {
		run("ip", "link", "del", v.hostDev)
		return nil, fmt.Errorf("netem: veth: %w", err)
	}
	ns.onClose(v.Close)
	return v, nil
}

// Dev is the name of the device at side.
func (v *Veth) Dev(side Side) string {
	if side == HostSide {
		return v.hostDev
	}
	return v.nsDev
}

// runAt runs a program on the side's end: on the host or in the namespace.
func (v *Veth) runAt(side Side, name string, args ...string) error {
	if side == HostSide {
		return run(name, args...)
	}
	return v.ns.run(name, args...)
}

// Shape limits what side sends to q's rate, with q's queue (drop-tail).
func (v *Veth) Shape(side Side, q Qdisc) error {
	if err := q.Validate(); err != nil {
		return err
	}
	if err := v.live(); err != nil {
		return err
	}
	dev := v.Dev(side)
	limit, burst := q.bytes(v.mtu)
	rate, lim, bur := strconv.FormatInt(q.Rate, 10)+"bit", strconv.Itoa(limit), strconv.Itoa(burst)
	var err error
	switch q.Kind {
	case "tbf":
		err = v.runAt(side, "tc", "qdisc", "replace", "dev", dev, "root", "tbf", "rate", rate, "burst", bur, "limit", lim)
	case "htb":
		v.runAt(side, "tc", "qdisc", "del", "dev", dev, "root") // a tbf there would refuse classes
		err = errors.Join(
			v.runAt(side, "tc", "qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "1"),
			v.runAt(side, "tc", "class", "add", "dev", dev, "parent", "1:", "classid", "1:1", "htb", "rate", rate, "ceil", rate, "burst", bur),
			v.runAt(side, "tc", "qdisc", "add", "dev", dev, "parent", "1:1", "handle", "10:", "bfifo", "limit", lim),
		)
	}
	if err != nil {
		return fmt.Errorf("netem: veth %s: %w", side, err)
	}
	return nil
}

// SentBytes counts the bytes side's end transmitted: what its qdisc let
// through, not what it or nftables dropped.
func (v *Veth) SentBytes(side Side) (uint64, error) {
	if side == HostSide {
		return deviceStat(nil, v.hostDev, "tx_bytes")
	}
	return deviceStat(v.ns, v.nsDev, "tx_bytes")
}

// Unshape removes side's rate limit.
func (v *Veth) Unshape(side Side) error {
	if err := v.live(); err != nil {
		return err
	}
	return v.runAt(side, "tc", "qdisc", "del", "dev", v.Dev(side), "root")
}

// Loss drops percent (0 to 100, in steps of 0.01) of the UDP packets side
// sends, at random, with an nftables table of this Veth's own; 0 removes it.
// It acts on packets the side's own sockets send (an output hook), which is
// how tests and benchmarks send.
func (v *Veth) Loss(side Side, percent float64) error {
	if !(percent >= 0 && percent <= 100) {
		return fmt.Errorf("netem: veth loss %v%%: must be 0 to 100", percent)
	}
	if err := v.live(); err != nil {
		return err
	}
	// Declaring the table first makes the delete succeed when it is not
	// there yet; nft applies the whole script atomically.
	script := fmt.Sprintf("table inet %[1]s {}\ndelete table inet %[1]s\n", v.table)
	if percent > 0 {
		script += fmt.Sprintf("table inet %s {\n chain out {\n  type filter hook output priority 0; policy accept;\n"+
			"  oifname %q meta l4proto udp numgen random mod 10000 < %d drop\n }\n}\n",
			v.table, v.Dev(side), int(percent*100+0.5))
	}
	cmd := v.ns.Command("nft", "-f", "-")
	if side == HostSide {
		cmd = exec.Command("nft", "-f", "-")
		v.mu.Lock()
		v.hostNFT = percent > 0
		v.mu.Unlock()
	}
	cmd.Stdin = strings.NewReader(script)
	if err := runCmd(cmd); err != nil {
		return fmt.Errorf("netem: veth %s loss: %w", side, err)
	}
	return nil
}

func (v *Veth) live() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return errors.New("netem: veth is closed")
	}
	return nil
}

// Close removes the host's nft table and the pair (the namespace's end,
// qdiscs and table go with it).
func (v *Veth) Close() error {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return nil
	}
	v.closed = true
	hostNFT := v.hostNFT
	v.mu.Unlock()
	// The namespace outlives the pair: its block table goes now.
	errs := []error{v.unblockAll()}
	if hostNFT {
		errs = append(errs, run("nft", "delete", "table", "inet", v.table))
	}
	errs = append(errs, run("ip", "link", "del", v.hostDev))
	return errors.Join(errs...)
}
