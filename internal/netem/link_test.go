package netem

import (
	"math"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestLinkDelay(t *testing.T) {
	ns, l := newLinked(t, Impairment{})
	addr := echo(t, ns)
	for _, tc := range []struct {
		name          string
		delay, jitter time.Duration
	}{
		{"none", 0, 0},
		{"20ms", 20 * time.Millisecond, 0},
		{"20ms±5ms", 20 * time.Millisecond, 5 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := l.Set(Symmetric(Shape{Delay: tc.delay, Jitter: tc.jitter})); err != nil {
				t.Fatal(err)
			}
			d := rtts(t, addr, 100, 2*time.Millisecond)
			if len(d) != 100 {
				t.Fatalf("%d of 100 pings came back over a lossless link", len(d))
			}
			set := 2 * tc.delay
			// Jitter draws each way from Delay ± Jitter, but order is kept,
			// so a packet waits for a later-drawn predecessor: the minimum
			// is only bounded by the floor of the two draws.
			floor := set - 2*tc.jitter
			p50 := quantile(d, 0.5)
			t.Logf("set RTT %v ± %v: min %v p50 %v p99 %v", set, 2*tc.jitter, d[0], p50, quantile(d, 0.99))
			if d[0] < floor {
				t.Errorf("min RTT %v below the set %v", d[0], floor)
			}
			if p50 < set-tc.jitter || p50 > set+15*time.Millisecond {
				t.Errorf("p50 RTT %v: want %v to %v", p50, set-tc.jitter, set+15*time.Millisecond)
			}
		})
	}
}

func TestLinkLoss(t *testing.T) {
	const sent = 4000
	for _, tc := range []struct {
		name  string
		shape Shape
		// want is the expected loss rate; the bound allows 5 standard
		// deviations of a binomial count (more for bursts, whose losses
		// are correlated).
		want, sigmas float64
	}{
		{"random 3%", Shape{Loss: 0.03}, 0.03, 5},
		{"random 10%", Shape{Loss: 0.10}, 0.10, 5},
		// P/(P+R) = 0.05/0.35 of the packets are sent in the bad state.
		{"burst", Shape{Burst: GilbertElliott{P: 0.05, R: 0.3, LossBad: 1}}, 0.05 / 0.35, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns, l := newLinked(t, Impairment{ToNamespace: tc.shape})
			a := blast(t, ns, sent, 200, 20*time.Microsecond, 300*time.Millisecond)
			st := l.Stats().ToNamespace
			loss := 1 - float64(a.n)/sent
			sd := math.Sqrt(tc.want * (1 - tc.want) / sent)
			t.Logf("set %.3f, lost %.4f (%d of %d arrived); stats %+v", tc.want, loss, a.n, sent, st)
			if math.Abs(loss-tc.want) > tc.sigmas*sd {
				t.Errorf("loss %.4f: want %.4f ± %.4f", loss, tc.want, tc.sigmas*sd)
			}
			// Slack of 2: the kernel sends a packet or two of its own (an
			// IGMP report as the device comes up) through the link.
			if d := int(st.Dropped()) - (sent - a.n); d < -2 || d > 2 {
				t.Errorf("link counted %d drops, the sink missed %d packets", st.Dropped(), sent-a.n)
			}
		})
	}
}

func TestLinkBurstLossComesInRuns(t *testing.T) {
	// Same loss rate, random and bursty: the mean run of consecutive losses
	// tells them apart (1/(1-p) ≈ 1.2 for random, 1/R ≈ 3.3 for the burst).
	shape := Shape{Burst: GilbertElliott{P: 0.05, R: 0.3, LossBad: 1}}
	ns, _ := newLinked(t, Impairment{ToNamespace: shape})
	runs := lossRuns(t, ns, 3000)
	if runs < 2.5 {
		t.Errorf("mean run of losses %.2f packets: want about 1/R = 3.3", runs)
	}
}

// lossRuns sends numbered datagrams and returns the mean length of the runs
// of missing numbers.
func lossRuns(t *testing.T, ns *Namespace, n int) float64 {
	pc, err := ns.ListenPacket("udp4", netip.AddrPortFrom(ns.Addr(), 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	pc.(*net.UDPConn).SetReadBuffer(4 << 20)
	c, err := net.DialUDP("udp4", nil, pc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	for i := range n {
		c.Write([]byte{byte(i >> 8), byte(i)})
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * 20 * time.Microsecond)))
	}
	seen := make([]bool, n)
	buf := make([]byte, 16)
	for {
		pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		k, _, err := pc.ReadFrom(buf)
		if err != nil {
			break
		}
		if i := int(buf[0])<<8 | int(buf[1]); k == 2 && i < n {
			seen[i] = true
		}
	}
	var lost, runs int
	for i, ok := range seen {
		if !ok {
			lost++
			if i == 0 || seen[i-1] {
				runs++
			}
		}
	}
	t.Logf("%d of %d lost in %d runs", lost, n, runs)
	if runs == 0 {
		t.Fatal("nothing lost")
	}
	return float64(lost) / float64(runs)
}

func TestLinkRate(t *testing.T) {
	const rate = 4_000_000
	// Offer 8 Mbit/s for a second, twice the rate: the queue (50 ms) fills
	// and stays full, and the sink sees the rate.
	ns, l := newLinked(t, Impairment{ToNamespace: Shape{Rate: rate, Queue: 50 * time.Millisecond}})
	a := blast(t, ns, 800, 1250, time.Millisecond, 300*time.Millisecond)
	got := a.rate()
	st := l.Stats().ToNamespace
	t.Logf("set %d bit/s, got %.0f bit/s over %v; stats %+v", rate, got, a.last.Sub(a.first), st)
	if got > rate*1.05 || got < rate*0.85 {
		t.Errorf("throughput %.0f bit/s: want within -15%%/+5%% of %d", got, rate)
	}
	if st.DroppedQueue == 0 {
		t.Error("twice the rate offered, yet the queue dropped nothing")
	}
}

func TestLinkSetIsLive(t *testing.T) {
	ns, l := newLinked(t, Impairment{})
	addr := echo(t, ns)
	before := quantile(rtts(t, addr, 20, 2*time.Millisecond), 0.5)
	if err := l.Set(Impairment{ToNamespace: Shape{Delay: 30 * time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	after := quantile(rtts(t, addr, 20, 2*time.Millisecond), 0.5)
	t.Logf("p50 RTT %v before, %v after setting 30 ms", before, after)
	if before > 10*time.Millisecond || after < 30*time.Millisecond || after > 45*time.Millisecond {
		t.Errorf("p50 RTT %v before, %v after Set: want under 10 ms, then 30 to 45 ms", before, after)
	}
	// Capacity 20 → 1.5 → 20 Mbit/s, the scenario the rate control must ride.
	for _, rate := range []int64{20_000_000, 1_500_000, 20_000_000} {
		if err := l.Set(Impairment{ToNamespace: Shape{Rate: rate, Queue: 50 * time.Millisecond}}); err != nil {
			t.Fatal(err)
		}
		a := blast(t, ns, 200, 1250, 250*time.Microsecond, 200*time.Millisecond) // 40 Mbit/s offered
		got := a.rate()
		t.Logf("set %d bit/s: got %.0f", rate, got)
		if got > float64(rate)*1.1 || got < float64(rate)*0.85 {
			t.Errorf("set %d bit/s: got %.0f bit/s", rate, got)
		}
	}
}

func TestSetRejectsBadShapes(t *testing.T) {
	bad := Shape{Delay: -time.Second, Loss: 1.5, Rate: 10, Queue: time.Second, QueueBytes: 100, Burst: GilbertElliott{P: 0.1}}
	err := Symmetric(bad).Validate()
	if err == nil {
		t.Fatal("a shape with six problems passed Validate")
	}
	for _, want := range []string{"delay", "loss", "rate", "both", "R 0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
	if err := (Shape{Delay: 20 * time.Millisecond, Rate: 2_000_000}).Validate("x"); err != nil {
		t.Errorf("a good shape failed: %v", err)
	}
}

func TestLinkDeviceDrops(t *testing.T) {
	ns, l := newLinked(t, Impairment{})
	blast(t, ns, 100, 200, 0, 200*time.Millisecond)
	to, from, err := l.DeviceDrops()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("device drops: %d to, %d from the namespace", to, from)
	// 100 packets fit the device queue however late the reader runs.
	if to != 0 || from != 0 {
		t.Errorf("device drops %d/%d after 100 packets", to, from)
	}
}
