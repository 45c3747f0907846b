package cluster

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"

	"stratus/internal/freeport"
)

func TestPoolsJoinAndShareMeta(t *testing.T) {
	t.Parallel()
	log, _ := testLogger(t)
	pools := startCluster(t, 5, testKey(1), log)

	for _, p := range pools {
		ms := p.Members()
		for _, m := range ms {
			want := testMeta(m.Name)
			if m.State != StateAlive || m.Meta.API != want.API || m.Meta.Role != RoleEdge ||
				!slices.Equal(m.Meta.Titles, want.Titles) || m.Meta.Version == 0 {
				t.Errorf("%s sees %s as %+v; want alive with %+v", p.Name(), m.Name, m, want)
			}
			if _, port, err := net.SplitHostPort(m.Addr); err != nil || port == "0" {
				t.Errorf("%s: member %s has address %q", p.Name(), m.Name, m.Addr)
			}
		}
		if !slices.IsSortedFunc(ms, func(a, b Member) int { return cmp.Compare(a.Name, b.Name) }) {
			t.Errorf("%s: members not sorted: %v", p.Name(), names(ms))
		}
		select {
		case <-p.Joined():
		default:
			t.Errorf("%s: Joined not closed", p.Name())
		}
		if s := p.Stats(); s.Members != 5 || s.MalformedMeta != 0 {
			t.Errorf("%s: stats %+v", p.Name(), s)
		}
	}
}

func TestSetMetaPropagates(t *testing.T) {
	t.Parallel()
	log, _ := testLogger(t)
	pools := startCluster(t, 4, testKey(1), log)
	src, others := pools[0], pools[1:]

	m := src.Meta()
	m.Free = 3
	m.Health = HealthDraining
	w := watch(t, others, func(ev Event) bool {
		return ev.Type == EventUpdate && ev.Member.Name == src.Name() && ev.Member.Meta.Free == 3
	})
	start := time.Now()
	if err := src.SetMeta(m); err != nil {
		t.Fatalf("SetMeta: %v", err)
	}
	waitFor(t, 5*time.Second, "every pool sees the update", func() (bool, string) {
		return w.count() == len(others), w.missing(others)
	})
	last, seen := w.latest()
	t.Logf("metadata change reached %d peers in %s (SetMeta returned after %s)",
		len(others), last.Sub(start).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	want := src.Meta()
	if want.Version != m.Version+1 {
		t.Fatalf("version not bumped: before %d, after %d", m.Version, want.Version)
	}
	for name, ev := range seen {
		if ev.Member.Meta.Version != want.Version || ev.Member.Meta.Health != HealthDraining {
			t.Errorf("%s got %+v, want version %d draining", name, ev.Member.Meta, want.Version)
		}
	}
	for _, p := range others {
		i := slices.IndexFunc(p.Members(), func(x Member) bool { return x.Name == src.Name() })
		if got := p.Members()[i].Meta; got.Free != 3 {
			t.Errorf("%s: Members() still shows Free %d", p.Name(), got.Free)
		}
	}
}

// deadBound is what the tests allow for the lan profile to declare a killed
// member dead: about 2 s expected (see the package doc), with room for a
// loaded test machine and the race detector.
const deadBound = 6 * time.Second

func TestKilledMemberDeclaredDead(t *testing.T) {
	t.Parallel()
	for _, n := range []int{3, 10} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			log, _ := testLogger(t)
			pools := startCluster(t, n, testKey(1), log)
			victim, others := pools[n-1], pools[:n-1]

			w := watch(t, others, func(ev Event) bool {
				return ev.Type == EventLeave && ev.Member.Name == victim.Name()
			})
			start := time.Now()
			victim.Close() // no Leave: a crash, as far as the others can tell
			waitFor(t, 2*deadBound, "every peer declares the killed member dead", func() (bool, string) {
				return w.count() == len(others), w.missing(others)
			})
			last, seen := w.latest()
			took := last.Sub(start)
			var first time.Duration = took
			for _, ev := range seen {
				first = min(first, ev.At.Sub(start))
				if ev.Member.State != StateDead {
					t.Errorf("killed member reported as %q, want %q", ev.Member.State, StateDead)
				}
			}
			t.Logf("%d members: killed member declared dead by the first peer after %s, by all %d after %s",
				n, first.Round(time.Millisecond), len(others), took.Round(time.Millisecond))
			if took > deadBound {
				t.Errorf("detection took %s, bound %s", took, deadBound)
			}
			for _, p := range others {
				if listed(p, victim.Name()) {
					t.Errorf("%s still lists the dead member", p.Name())
				}
			}
		})
	}
}

func TestGracefulLeaveReportedAsLeft(t *testing.T) {
	t.Parallel()
	log, _ := testLogger(t)
	pools := startCluster(t, 3, testKey(1), log)
	leaver, others := pools[2], pools[:2]

	w := watch(t, others, func(ev Event) bool {
		return ev.Type == EventLeave && ev.Member.Name == leaver.Name()
	})
	start := time.Now()
	if err := leaver.Leave(2 * time.Second); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	waitFor(t, 3*time.Second, "every peer sees the member leave", func() (bool, string) {
		return w.count() == len(others), w.missing(others)
	})
	last, seen := w.latest()
	t.Logf("graceful leave known to all peers after %s", last.Sub(start).Round(time.Millisecond))
	for name, ev := range seen {
		if ev.Member.State != StateLeft {
			t.Errorf("%s reports the leaver as %q, want %q", name, ev.Member.State, StateLeft)
		}
		if ev.Member.Meta.API != testMeta(leaver.Name()).API {
			t.Errorf("%s: leave event lacks the last metadata: %+v", name, ev.Member.Meta)
		}
	}
	if err := leaver.Leave(time.Second); err != nil {
		t.Errorf("second Leave: %v", err)
	}
	if err := leaver.SetMeta(testMeta("x")); !errors.Is(err, ErrLeft) {
		t.Errorf("SetMeta after Leave = %v, want ErrLeft", err)
	}
	if err := leaver.Close(); err != nil {
		t.Errorf("Close after Leave: %v", err)
	}
}

// TestRefusedWithoutTheKey: a node with another key, or none, cannot join:
// its join fails, it lists nobody, and nobody lists it.
func TestRefusedWithoutTheKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		key  []byte
	}{
		{"wrong key", testKey(2)},
		{"no key", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			log, buf := testLogger(t)
			pools := startCluster(t, 2, testKey(1), log)
			intruder := startPool(t, testConfig("lan/eu", "intruder", tc.key, pools[0].LocalAddr()), testMeta("intruder"), log)

			waitFor(t, 10*time.Second, "the intruder has failed to join twice", func() (bool, string) {
				s := intruder.Stats()
				return s.JoinFailures >= 2, fmt.Sprintf("stats %+v", s)
			})
			if got := names(intruder.Members()); !slices.Equal(got, []string{"intruder"}) {
				t.Errorf("intruder sees %v", got)
			}
			for _, p := range pools {
				if listed(p, "intruder") {
					t.Errorf("%s lists the intruder", p.Name())
				}
			}
			if s := intruder.Stats().LastJoinError; s == "" {
				t.Error("no join error recorded")
			}
			// The refusing side logs it (rate limited), at warn.
			waitFor(t, 5*time.Second, "the cluster logs the refused traffic", func() (bool, string) {
				return containsAny(buf.String(), "decrypt", "encrypt", "No installed keys"), "no such log line yet"
			})
		})
	}
}

func containsAny(s string, subs ...string) bool {
	return slices.ContainsFunc(subs, func(sub string) bool { return strings.Contains(s, sub) })
}

// TestLabelsKeepPoolsApart: two regions' pools with the same key never mix,
// and one process can be a member of several pools under the same name (a
// signaling node in two regions and the WAN).
func TestLabelsKeepPoolsApart(t *testing.T) {
	t.Parallel()
	log, _ := testLogger(t)
	key := testKey(1)
	eu := startPool(t, testConfig("lan/eu", "edge-eu", key), testMeta("edge-eu"), log)
	us := startPool(t, testConfig("lan/us", "edge-us", key, eu.LocalAddr()), testMeta("edge-us"), log)

	sigEU := startPool(t, testConfig("lan/eu", "sig-1", key, eu.LocalAddr()), Meta{Role: RoleSignal, Regions: []string{"eu", "us"}}, log)
	sigUS := startPool(t, testConfig("lan/us", "sig-1", key), Meta{Role: RoleSignal, Regions: []string{"eu", "us"}}, log)
	wanCfg := testConfig(WANPool, "sig-1", key)
	wanCfg.Profile = ProfileLocal // WAN timings would only slow the test
	wan := startPool(t, wanCfg, Meta{Role: RoleSignal}, log)

	waitFor(t, 10*time.Second, "the us edge has failed to join eu twice", func() (bool, string) {
		s := us.Stats()
		return s.JoinFailures >= 2, fmt.Sprintf("stats %+v", s)
	})
	waitFor(t, 5*time.Second, "the signaling node joins eu", func() (bool, string) {
		return listed(eu, "sig-1"), fmt.Sprint(names(eu.Members()))
	})
	if got := names(eu.Members()); !slices.Equal(got, []string{"edge-eu", "sig-1"}) {
		t.Errorf("eu pool lists %v", got)
	}
	if got := names(us.Members()); !slices.Equal(got, []string{"edge-us"}) {
		t.Errorf("us edge lists %v", got)
	}
	if got := names(sigUS.Members()); !slices.Equal(got, []string{"sig-1"}) {
		t.Errorf("us signaling pool lists %v", got)
	}
	if sigEU.LocalAddr() == sigUS.LocalAddr() || sigUS.LocalAddr() == wan.LocalAddr() {
		t.Errorf("pools share an address: %s %s %s", sigEU.LocalAddr(), sigUS.LocalAddr(), wan.LocalAddr())
	}
	if got := names(wan.Members()); !slices.Equal(got, []string{"sig-1"}) {
		t.Errorf("wan lists %v", got)
	}
}

// TestMalformedMetaListedEmpty: a member whose metadata this release cannot
// read (another release, or not stratus at all) is listed with a zero Meta,
// which keeps it out of routing, and nothing crashes.
func TestMalformedMetaListedEmpty(t *testing.T) {
	t.Parallel()
	log, _ := testLogger(t)
	key := testKey(1)
	p := startPool(t, testConfig("lan/eu", "edge-00", key), testMeta("edge-00"), log)

	for _, tc := range []struct{ name, meta string }{
		{"future", "\x02\x00{\"r\":\"edge\"}"},
		{"garbage", "\x01\x00{not json"},
		{"empty", ""},
	} {
		ml := startRawMember(t, "raw-"+tc.name, key, []byte(tc.meta))
		if _, err := ml.Join([]string{p.LocalAddr()}); err != nil {
			t.Fatalf("raw member %s cannot join: %v", tc.name, err)
		}
	}
	waitFor(t, 5*time.Second, "the raw members are listed", func() (bool, string) {
		return len(p.Members()) == 4, fmt.Sprint(names(p.Members()))
	})
	for _, m := range p.Members() {
		if m.Name == "edge-00" {
			continue
		}
		if m.Meta.Role != "" || m.Meta.Health != "" || m.State != StateAlive {
			t.Errorf("%s listed as %+v; want alive with zero meta", m.Name, m)
		}
	}
	if s := p.Stats(); s.MalformedMeta < 3 {
		t.Errorf("MalformedMeta = %d, want ≥ 3", s.MalformedMeta)
	}
}

// rawDelegate publishes fixed metadata bytes, as another program would.
type rawDelegate struct{ meta []byte }

func (d rawDelegate) NodeMeta(int) []byte                  { return d.meta }
func (rawDelegate) NotifyMsg([]byte)                       {}
func (rawDelegate) GetBroadcasts(int, int) [][]byte        { return nil }
func (rawDelegate) LocalState(bool) []byte                 { return nil }
func (rawDelegate) MergeRemoteState(buf []byte, join bool) {}

func startRawMember(t *testing.T, name string, key, meta []byte) *memberlist.Memberlist {
	t.Helper()
	c, _ := ProfileLAN.memberlistConfig()
	c.Name = name
	c.BindAddr = "127.0.0.1"
	c.BindPort = 0
	c.AdvertisePort = 0
	c.Label = "stratus/lan/eu"
	c.SecretKey = key
	c.Delegate = rawDelegate{meta: meta}
	c.LogOutput = &syncBuffer{}
	ml, err := memberlist.Create(c)
	if err != nil {
		t.Fatalf("raw member: %v", err)
	}
	t.Cleanup(func() { ml.Shutdown() })
	return ml
}

// TestJoinRetriesUntilSeedStarts: a node whose seed is not up yet keeps
// trying in the background and joins once it is.
func TestJoinRetriesUntilSeedStarts(t *testing.T) {
	t.Parallel()
	log, _ := testLogger(t)
	key := testKey(1)
	port := freeport.Must(t, "127.0.0.1", freeport.Both)
	seed := net.JoinHostPort("127.0.0.1", fmt.Sprint(port))

	late := startPool(t, testConfig("lan/eu", "late", key, seed), testMeta("late"), log)
	waitFor(t, 5*time.Second, "the first join attempt fails", func() (bool, string) {
		return late.Stats().JoinFailures >= 1, fmt.Sprintf("%+v", late.Stats())
	})
	cfg := testConfig("lan/eu", "seed", key)
	cfg.BindPort = port
	startPool(t, cfg, testMeta("seed"), log)
	waitFor(t, 10*time.Second, "the retrying node joins", func() (bool, string) {
		return len(late.Members()) == 2, fmt.Sprintf("members %v, stats %+v", names(late.Members()), late.Stats())
	})
	select {
	case <-late.Joined():
	default:
		t.Error("Joined not closed")
	}
}

func TestCloseTwiceAndUseAfterClose(t *testing.T) {
	t.Parallel()
	log, _ := testLogger(t)
	p, err := NewPool(testConfig("lan/eu", "solo", testKey(1)), testMeta("solo"), log)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := p.Subscribe()
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, ok := <-ch; ok {
		t.Error("subscription not closed by Close")
	}
	if err := p.SetMeta(testMeta("solo")); !errors.Is(err, ErrClosed) {
		t.Errorf("SetMeta after Close = %v", err)
	}
	if err := p.Leave(time.Second); !errors.Is(err, ErrClosed) {
		t.Errorf("Leave after Close = %v", err)
	}
	ch2, cancel := p.Subscribe()
	if _, ok := <-ch2; ok {
		t.Error("Subscribe after Close gave an open channel")
	}
	cancel()
}

func TestNewPoolRejectsBadConfigAndMeta(t *testing.T) {
	t.Parallel()
	if _, err := NewPool(PoolConfig{Pool: "lan/eu", Name: "x"}, Meta{}, nil); err == nil {
		t.Error("no key and no dev mode accepted")
	}
	huge := testMeta("x")
	huge.API = string(make([]byte, 600))
	if _, err := NewPool(testConfig("lan/eu", "x", testKey(1)), huge, nil); !errors.Is(err, ErrMetaTooLarge) {
		t.Errorf("oversized meta: err = %v", err)
	}
	// The same port twice cannot be bound.
	a := startPool(t, testConfig("lan/eu", "a", testKey(1)), testMeta("a"), nil)
	cfg := testConfig("lan/eu", "b", testKey(1))
	_, port, _ := net.SplitHostPort(a.LocalAddr())
	fmt.Sscan(port, &cfg.BindPort)
	if p, err := NewPool(cfg, testMeta("b"), nil); err == nil {
		p.Close()
		t.Error("second pool bound the same port")
	}
}

func TestSetMetaConcurrent(t *testing.T) {
	t.Parallel()
	log, _ := testLogger(t)
	pools := startCluster(t, 2, testKey(1), log)
	src := pools[0]
	before := src.Meta().Version
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			m := testMeta(src.Name())
			m.Free = i
			errs <- src.SetMeta(m)
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Errorf("SetMeta: %v", err)
		}
	}
	final := src.Meta()
	if final.Version != before+8 {
		t.Errorf("version %d after 8 updates from %d", final.Version, before)
	}
	waitFor(t, 5*time.Second, "the peer sees the last version", func() (bool, string) {
		for _, m := range pools[1].Members() {
			if m.Name == src.Name() {
				return m.Meta.Version == final.Version && m.Meta.Free == final.Free,
					fmt.Sprintf("version %d free %d", m.Meta.Version, m.Meta.Free)
			}
		}
		return false, "not listed"
	})
}
