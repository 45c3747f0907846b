package netem

import (
	"math"
	"net"
	"net/netip"
	"testing"
	"time"
)

func newVeth(t *testing.T) (*Namespace, *Veth) {
	t.Helper()
	requireAvailable(t)
	ns, err := NewNamespace(NamespaceConfig{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	v, err := NewVeth(VethConfig{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return ns, v
}

func TestVethRate(t *testing.T) {
	for _, kind := range []string{"tbf", "htb"} {
		t.Run(kind, func(t *testing.T) {
			const rate = 4_000_000
			ns, v := newVeth(t)
			if err := v.Shape(HostSide, Qdisc{Kind: kind, Rate: rate, Queue: 50 * time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			// 20 Mbit/s offered: the queue fills and drops, what arrives
			// is the rate.
			a := blast(t, ns, 400, 1250, 500*time.Microsecond, 300*time.Millisecond)
			got := a.rate()
			t.Logf("%s at %d bit/s: got %.0f bit/s, %d of 400 arrived", kind, rate, got, a.n)
			if got > rate*1.1 || got < rate*0.8 {
				t.Errorf("throughput %.0f bit/s: want within ±10%%/-20%% of %d", got, rate)
			}
			if err := v.Unshape(HostSide); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestVethSentBytes: the host's end counts every byte it sent to the
// namespace, headers included; the namespace's end, read through its own
// /sys, what it sent back (nothing here but neighbour traffic).
func TestVethSentBytes(t *testing.T) {
	ns, v := newVeth(t)
	host0, err := v.SentBytes(HostSide)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.SentBytes(NamespaceSide); err != nil {
		t.Fatal(err)
	}
	a := blast(t, ns, 100, 1000, 0, 200*time.Millisecond)
	host1, err := v.SentBytes(HostSide)
	if err != nil {
		t.Fatal(err)
	}
	if a.bytes < 100*1000 || host1-host0 < uint64(a.bytes) {
		t.Errorf("%d payload bytes arrived, the host's end counted %d sent", a.bytes, host1-host0)
	}
}

func TestVethLoss(t *testing.T) {
	ns, v := newVeth(t)
	const sent, pct = 3000, 10.0
	want := pct / 100
	sd := math.Sqrt(want * (1 - want) / sent)
	t.Run("host side", func(t *testing.T) {
		if err := v.Loss(HostSide, pct); err != nil {
			t.Fatal(err)
		}
		a := blast(t, ns, sent, 200, 20*time.Microsecond, 300*time.Millisecond)
		loss := 1 - float64(a.n)/sent
		t.Logf("set %.2f, lost %.4f", want, loss)
		if math.Abs(loss-want) > 5*sd {
			t.Errorf("loss %.4f: want %.4f ± %.4f", loss, want, 5*sd)
		}
		if err := v.Loss(HostSide, 0); err != nil {
			t.Fatal(err)
		}
		if a := blast(t, ns, 500, 200, 20*time.Microsecond, 300*time.Millisecond); a.n != 500 {
			t.Errorf("loss removed, yet %d of 500 arrived", a.n)
		}
	})
	t.Run("namespace side", func(t *testing.T) {
		if err := v.Loss(NamespaceSide, pct); err != nil {
			t.Fatal(err)
		}
		// The sink is on the host, the sender in the namespace.
		sink, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ns.HostAddr(), 0)))
		if err != nil {
			t.Fatal(err)
		}
		defer sink.Close()
		c, err := ns.Dial("udp4", sink.LocalAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		got := make(chan int, 1)
		go func() {
			n, buf := 0, make([]byte, 2048)
			for {
				sink.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
				if _, err := sink.Read(buf); err != nil {
					got <- n
					return
				}
				n++
			}
		}()
		start := time.Now()
		for i := range sent {
			c.Write(make([]byte, 200)) // EPERM: dropped by the rule
			time.Sleep(time.Until(start.Add(time.Duration(i+1) * 20 * time.Microsecond)))
		}
		n := <-got
		loss := 1 - float64(n)/sent
		t.Logf("set %.2f, lost %.4f", want, loss)
		if math.Abs(loss-want) > 5*sd {
			t.Errorf("loss %.4f: want %.4f ± %.4f", loss, want, 5*sd)
		}
	})
}

func TestQdiscValidate(t *testing.T) {
	for _, tc := range []struct {
		q  Qdisc
		ok bool
	}{
		{Qdisc{Kind: "tbf", Rate: 2_000_000, Queue: 100 * time.Millisecond}, true},
		{Qdisc{Kind: "htb", Rate: 2_000_000, QueueBytes: 25_000}, true},
		{Qdisc{Kind: "netem", Rate: 2_000_000}, false},
		{Qdisc{Kind: "tbf", Rate: 0}, false},
		{Qdisc{Kind: "tbf", Rate: 2_000_000, Queue: time.Second, QueueBytes: 1}, false},
	} {
		if err := tc.q.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: Validate() = %v, want ok %v", tc.q, err, tc.ok)
		}
	}
}
