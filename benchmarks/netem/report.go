package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"stratus/internal/machine"
	"stratus/internal/netem"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func run(ctx context.Context, o options) error {
	if err := o.validate(); err != nil {
		return err
	}
	if err := netem.Available(); err != nil {
		return err
	}
	fmt.Printf("Machine: %s, load %s at the start. Command: `%s`\n\n", machine.CPUModel(), machine.LoadAverage(), machine.Invocation("./benchmarks/netem"))

	fmt.Printf("UDP round trips through the TUN link (%d pings, one every %v; delay and jitter set each way):\n\n", o.pings, o.pingGap)
	fmt.Println("| delay each way | jitter | set RTT | back | min (ms) | p50 (ms) | p99 (ms) | p50 − set |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, tc := range []struct{ delay, jitter time.Duration }{
		{0, 0}, {20 * time.Millisecond, 0}, {50 * time.Millisecond, 0}, {20 * time.Millisecond, 5 * time.Millisecond},
	} {
		progress("rtt: delay %v jitter %v", tc.delay, tc.jitter)
		var r rttResult
		err := withLink(netem.Symmetric(netem.Shape{Delay: tc.delay, Jitter: tc.jitter}), func(ns *netem.Namespace, _ *netem.Link) (err error) {
			r, err = pingSeries(ctx, ns, o.pings, o.pingGap)
			return err
		})
		if err != nil {
			return err
		}
		set := 2 * tc.delay
		fmt.Printf("| %s ms | ±%s ms | %s ms | %d/%d | %s | %s | %s | %s ms |\n", ms(tc.delay), ms(tc.jitter), ms(set), r.back, r.sent,
			ms(r.min), ms(r.p50), ms(r.p99), ms(r.p50-set))
	}

	fmt.Printf("\nThroughput, host → namespace, 1200-byte UDP datagrams offered at 1.5 × the rate for %v, queue 50 ms (measured after the first 500 ms, IP bytes):\n\n", o.duration)
	fmt.Println("| path | set rate | measured | measured / set | delivered | device drops |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, rate := range []int64{2_000_000, 10_000_000, 20_000_000} {
		for _, path := range []string{"TUN link", "veth + tc tbf", "veth + tc htb"} {
			progress("rate: %s %d bit/s", path, rate)
			var r flowResult
			drops := "—"
			measure := func(ns *netem.Namespace) (err error) {
				r, err = flow(ctx, ns, 1.5*float64(rate), 1200, o.duration, 500*time.Millisecond)
				return err
			}
			var err error
			if path == "TUN link" {
				err = withLink(netem.Impairment{ToNamespace: netem.Shape{Rate: rate, Queue: 50 * time.Millisecond}},
					func(ns *netem.Namespace, l *netem.Link) error {
						if err := measure(ns); err != nil {
							return err
						}
						drops, err = deviceDrops(l)
						return err
					})
			} else {
				kind := path[len(path)-3:]
				err = withVeth(func(ns *netem.Namespace, v *netem.Veth) error {
					if err := v.Shape(netem.HostSide, netem.Qdisc{Kind: kind, Rate: rate, Queue: 50 * time.Millisecond}); err != nil {
						return err
					}
					return measure(ns)
				})
			}
			if err != nil {
				return err
			}
			fmt.Printf("| %s | %.1f Mbit/s | %.2f Mbit/s | %.3f | %d/%d | %s |\n", path, float64(rate)/1e6, r.rate/1e6, r.rate/float64(rate), r.arrived, r.sent, drops)
		}
	}

	fmt.Printf("\nRandom loss, host → namespace, %d datagrams of 200 bytes at 10 Mbit/s (95%% range: ±1.96 binomial standard deviations):\n\n", o.lossPackets)
	fmt.Println("| path | set | measured | measured / set | 95% range at the set rate | shaper's drops / read | device drops |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, pct := range []float64{1, 3, 10} {
		for _, path := range []string{"TUN link", "veth + nftables"} {
			progress("loss: %s %v%%", path, pct)
			var r flowResult
			shaper, drops := "—", "—"
			dur := time.Duration(float64(o.lossPackets) * 228 * 8 / 10e6 * float64(time.Second))
			measure := func(ns *netem.Namespace) (err error) {
				r, err = flow(ctx, ns, 10e6, 200, dur, 0)
				return err
			}
			var err error
			if path == "TUN link" {
				err = withLink(netem.Impairment{ToNamespace: netem.Shape{Loss: pct / 100}},
					func(ns *netem.Namespace, l *netem.Link) error {
						if err := measure(ns); err != nil {
							return err
						}
						st := l.Stats().ToNamespace
						shaper = fmt.Sprintf("%.2f %% (%d of %d)", 100*float64(st.Dropped())/float64(st.Read), st.Dropped(), st.Read)
						drops, err = deviceDrops(l)
						return err
					})
			} else {
				err = withVeth(func(ns *netem.Namespace, v *netem.Veth) error {
					if err := v.Loss(netem.HostSide, pct); err != nil {
						return err
					}
					return measure(ns)
				})
			}
			if err != nil {
				return err
			}
			p := pct / 100
			loss := 1 - float64(r.arrived)/float64(r.sent)
			sd := math.Sqrt(p * (1 - p) / float64(r.sent))
			fmt.Printf("| %s | %.0f %% | %.2f %% (%d of %d) | %.3f | %.2f–%.2f %% | %s | %s |\n", path, pct, 100*loss, r.sent-r.arrived, r.sent,
				loss/p, 100*(p-1.96*sd), 100*(p+1.96*sd), shaper, drops)
		}
	}
	fmt.Printf("\nLoad at the end: %s\n", machine.LoadAverage())
	return nil
}

// deviceDrops is the packets the kernel dropped into the namespace before
// the harness read them (the host did not schedule it in time).
func deviceDrops(l *netem.Link) (string, error) {
	to, _, err := l.DeviceDrops()
	return fmt.Sprint(to), err
}
