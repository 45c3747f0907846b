// Command netem measures how faithfully the impairment harness
// (internal/netem) applies what a test sets: round-trip times through the
// userspace link for several delays and a jitter, the throughput it lets
// through for several rates, and the loss it causes for several loss
// rates, next to the kernel's tbf and nftables doing the same on a veth.
//
//	go run ./benchmarks/netem
//
// It needs root, /dev/net/tun, ip, tc and nft (netem.Available). Every
// scenario gets a fresh namespace and link, removed afterwards. The report
// is markdown on stdout; progress goes to stderr.
//
// How: RTT is UDP ping from the host to an echo server in the namespace,
// -pings of them, one every -ping-gap. Throughput is a one-way UDP flow of
// 1200-byte datagrams from the host into the namespace, offered at 1.5 times
// the set rate for -duration, measured at the receiver over the arrivals
// after the first 500 ms (when the queue has filled), counting IP and UDP
// headers. Loss is -loss-packets datagrams of 200 bytes, counted at the
// receiver.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"stratus/internal/netem"
)

type options struct {
	pings       int
	pingGap     time.Duration
	duration    time.Duration
	lossPackets int
}

func main() {
	var o options
	flag.IntVar(&o.pings, "pings", 500, "pings per delay scenario")
	flag.DurationVar(&o.pingGap, "ping-gap", 5*time.Millisecond, "interval between pings")
	flag.DurationVar(&o.duration, "duration", 3*time.Second, "length of each throughput flow")
	flag.IntVar(&o.lossPackets, "loss-packets", 10000, "datagrams per loss scenario")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "netem:", err)
		os.Exit(1)
	}
}

func (o options) validate() error {
	var errs []error
	if o.pings < 10 || o.pings > 1<<20 {
		errs = append(errs, fmt.Errorf("-pings %d: must be 10 to %d", o.pings, 1<<20))
	}
	if o.pingGap < 100*time.Microsecond || o.pingGap > time.Second {
		errs = append(errs, fmt.Errorf("-ping-gap %v: must be 100µs to 1s", o.pingGap))
	}
	if o.duration < time.Second || o.duration > 5*time.Minute {
		errs = append(errs, fmt.Errorf("-duration %v: must be 1s to 5m (the first 500 ms are not measured)", o.duration))
	}
	if o.lossPackets < 100 || o.lossPackets > 1_000_000 {
		errs = append(errs, fmt.Errorf("-loss-packets %d: must be 100 to 1000000", o.lossPackets))
	}
	return errors.Join(errs...)
}

// withLink runs f with a fresh namespace joined by a shaped TUN link.
func withLink(im netem.Impairment, f func(*netem.Namespace, *netem.Link) error) error {
	ns, err := netem.NewNamespace(netem.NamespaceConfig{})
	if err != nil {
		return err
	}
	defer ns.Close()
	l, err := netem.NewLink(netem.LinkConfig{Namespace: ns, Impairment: im})
	if err != nil {
		return err
	}
	return f(ns, l)
}

// withVeth runs f with a fresh namespace joined by a veth pair.
func withVeth(f func(*netem.Namespace, *netem.Veth) error) error {
	ns, err := netem.NewNamespace(netem.NamespaceConfig{})
	if err != nil {
		return err
	}
	defer ns.Close()
	v, err := netem.NewVeth(netem.VethConfig{Namespace: ns})
	if err != nil {
		return err
	}
	return f(ns, v)
}

func progress(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }
