package main

import (
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"stratus/cluster"
)

// sizeResult is what one member count measured. Durations are "until the
// last of the N−1 other members knew"; metaEach and deathEach pool every
// member's own arrival time across repetitions.
type sizeResult struct {
	n                   int
	startup             time.Duration
	meta, death         []time.Duration
	metaEach, deathEach []time.Duration
	cpuShare            float64 // CPU time used / (wall time × CPUs) while measuring
	othersShare         float64 // the same for every other process on the machine
	schedP999           time.Duration
	resyncs             uint64
	// falseDeaths counts "dead" events for members nobody killed, while
	// measuring; falseAtStart those while starting.
	falseDeaths, falseAtStart uint64
	excluded                  int
	err                       error
}

// target is the news the members are waiting for.
type target struct {
	name    string
	leave   bool   // a death; otherwise a metadata update
	version uint64 // for an update: the version that carries the change
	start   time.Time
	// arrived[i] is when member i learned it (ns after start), 0 if not yet.
	arrived []atomic.Int64
	count   atomic.Int64
	want    int64
	// excluded receivers did not know the member to begin with.
	excluded int
	done     chan struct{}
	once     sync.Once
}

// member is one pool and the goroutine recording its events.
type member struct {
	idx  int
	pool *cluster.Pool
	// gone marks the member killed: it no longer counts as a receiver.
	gone atomic.Bool
}

type bench struct {
	log     *slog.Logger
	key     []byte
	seeds   []string
	seedIdx map[int]bool
	members []*member
	cur     atomic.Pointer[target]
	resyncs atomic.Uint64
	// killed names the members closed on purpose; any other member
	// reported dead is a false positive of an overloaded machine.
	killed      sync.Map
	falseDeaths atomic.Uint64
	// excluded counts members left out of a death measurement because they
	// did not list the victim when it was killed.
	excluded int
	wg       sync.WaitGroup
	next     int // name counter
}

func measureSize(n int, o options, log, progress *slog.Logger) (sizeResult, error) {
	res := sizeResult{n: n}
	b := &bench{log: log, key: make([]byte, 32), seedIdx: make(map[int]bool)}
	crand.Read(b.key)
	defer b.closeAll()

	// The first member starts alone, the other seeds join it, and every
	// later member is given all the seeds. Members start in batches, each
	// waiting for the pool to settle: a hundred encrypted members joining
	// at once on two cores starve each other's probes, and the false
	// suspicions that follow take a full state sync (tens of seconds at
	// that size) to heal, which would measure this process's start rather
	// than the pool.
	t0 := time.Now()
	nseeds := min(o.seeds, n-1) // at least one member must be killable
	for i := range n {
		m, err := b.add()
		if err != nil {
			res.err = err
			return res, err
		}
		if i == 0 || i == nseeds-1 {
			b.seeds = b.seeds[:0]
			for _, s := range b.members {
				b.seeds = append(b.seeds, s.pool.LocalAddr())
			}
		}
		if i < nseeds {
			b.seedIdx[m.idx] = true
		}
		if (i+1)%o.batch == 0 || i == n-1 {
			t1, cpu1, busy1, sched1 := time.Now(), cpuTime(), machineBusy(), schedLatency()
			if err := b.waitConverged(i+1, o.wait()); err != nil {
				res.err = fmt.Errorf("starting, at %d members: %w", i+1, err)
				res.falseAtStart = b.falseDeaths.Load()
				return res, res.err
			}
			wall := time.Since(t1)
			own := cpuTime() - cpu1
			progress.Info("batch settled", "members", i+1, "took", wall.Round(time.Millisecond),
				"cpu_bench", fmt.Sprintf("%.0f%%", 100*own.Seconds()/wall.Seconds()/float64(numCPU())),
				"cpu_others", fmt.Sprintf("%.0f%%", 100*max(0, (machineBusy()-busy1-own).Seconds())/wall.Seconds()/float64(numCPU())),
				"sched_p999", latencyQuantile(sched1, schedLatency(), 0.999), "false_deaths", b.falseDeaths.Load())
		}
	}
	res.startup = time.Since(t0)
	progress.Info("converged", "members", n, "took", res.startup.Round(time.Millisecond))

	cpu0, wall0, false0 := cpuTime(), time.Now(), b.falseDeaths.Load()
	busy0, sched0 := machineBusy(), schedLatency()
	for rep := range o.reps {
		if time.Now().After(o.deadline) {
			res.err = fmt.Errorf("time budget (-budget %s) spent after %d repetitions", o.budget, rep)
			break
		}
		d, each, err := b.metaChange(rep, o.wait())
		if err != nil {
			res.err = fmt.Errorf("metadata change, rep %d: %w", rep, err)
			break
		}
		res.meta, res.metaEach = append(res.meta, d), append(res.metaEach, each...)

		d, each, err = b.death(o.wait())
		if err != nil {
			res.err = fmt.Errorf("death, rep %d: %w", rep, err)
			break
		}
		res.death, res.deathEach = append(res.death, d), append(res.deathEach, each...)
		progress.Info("rep", "members", n, "rep", rep+1, "meta", res.meta[rep].Round(time.Millisecond),
			"death", d.Round(time.Millisecond))

		// Replace the dead member so every repetition sees N members.
		if _, err := b.add(); err != nil {
			res.err = err
			break
		}
		if err := b.waitConverged(n, o.wait()); err != nil {
			res.err = fmt.Errorf("rejoin after rep %d: %w", rep, err)
			break
		}
	}
	if wall := time.Since(wall0); wall > 0 {
		own := cpuTime() - cpu0
		res.cpuShare = own.Seconds() / (wall.Seconds() * float64(numCPU()))
		res.othersShare = max(0, (machineBusy()-busy0-own).Seconds()/(wall.Seconds()*float64(numCPU())))
	}
	res.schedP999 = latencyQuantile(sched0, schedLatency(), 0.999)
	res.resyncs = b.resyncs.Load()
	res.excluded = b.excluded
	res.falseDeaths = b.falseDeaths.Load() - false0
	res.falseAtStart = false0
	return res, res.err
}

// add starts one more member, joining the seeds known so far.
func (b *bench) add() (*member, error) {
	name := fmt.Sprintf("m-%04d", b.next)
	b.next++
	cfg := cluster.PoolConfig{
		Pool:     cluster.LANPool("bench"),
		Name:     name,
		BindAddr: "127.0.0.1",
		Key:      b.key,
		Profile:  cluster.ProfileLAN,
	}
	cfg.Join = slices.Clone(b.seeds)
	meta := cluster.Meta{
		Role: cluster.RoleEdge, Region: "bench", Location: cluster.Location{Lat: 50.11, Lon: 8.68},
		API:   "https://" + name + ".bench.example.net:8443",
		Media: "198.51.100.7:3478", Probe: "https://" + name + ".bench.example.net:8443/v1/probe",
		Capacity: 16, Free: 16, Load: 0.25, Health: cluster.HealthOK,
		Titles: []string{"rocks", "testpattern"},
		GPU:    cluster.GPUSummary{Count: 1, Model: "NVIDIA L4", NVENC: 1, FreeEncoders: 3},
	}
	p, err := cluster.NewPool(cfg, meta, b.log)
	if err != nil {
		return nil, err
	}
	m := &member{idx: len(b.members), pool: p}
	b.members = append(b.members, m)
	ch, _ := p.Subscribe() // ends when the pool closes
	b.wg.Go(func() { b.record(m, ch) })
	return m, nil
}

// record notes when member m learns the current target's news.
func (b *bench) record(m *member, ch <-chan cluster.Event) {
	for ev := range ch {
		if ev.Type == cluster.EventLeave && ev.Member.State == cluster.StateDead && !m.gone.Load() {
			if _, ok := b.killed.Load(ev.Member.Name); !ok {
				b.falseDeaths.Add(1)
			}
		}
		t := b.cur.Load()
		if t == nil || m.gone.Load() {
			continue
		}
		switch {
		case ev.Type == cluster.EventResync:
			b.resyncs.Add(1)
			if b.knows(m, t) {
				t.arrive(m.idx, time.Now())
			}
		case ev.Member.Name != t.name:
		case t.leave && ev.Type == cluster.EventLeave:
			t.arrive(m.idx, ev.At)
		case !t.leave && ev.Type != cluster.EventLeave && ev.Member.Meta.Version >= t.version:
			t.arrive(m.idx, ev.At)
		}
	}
}

// knows checks m's member list, after a resync lost events.
func (b *bench) knows(m *member, t *target) bool {
	for _, x := range m.pool.Members() {
		if x.Name == t.name {
			return !t.leave && x.Meta.Version >= t.version
		}
	}
	return t.leave
}

func (t *target) arrive(idx int, at time.Time) {
	if idx >= len(t.arrived) {
		return
	}
	d := max(at.Sub(t.start), 1)
	if t.arrived[idx].CompareAndSwap(0, int64(d)) && t.count.Add(1) == t.want {
		t.once.Do(func() { close(t.done) })
	}
}

func (b *bench) newTarget(name string, leave bool, version uint64, receivers int) *target {
	return &target{
		name: name, leave: leave, version: version,
		arrived: make([]atomic.Int64, len(b.members)),
		want:    int64(receivers),
		done:    make(chan struct{}),
	}
}

// alive are the members not killed.
func (b *bench) alive() []*member {
	var out []*member
	for _, m := range b.members {
		if !m.gone.Load() {
			out = append(out, m)
		}
	}
	return out
}

func (b *bench) metaChange(rep int, timeout time.Duration) (time.Duration, []time.Duration, error) {
	alive := b.alive()
	src := alive[rand.IntN(len(alive))]
	meta := src.pool.Meta()
	meta.Free = rep % 16
	meta.Load = float64(rep%10) / 10
	t := b.newTarget(src.pool.Name(), false, meta.Version+1, len(alive)-1)
	// The source itself is not a receiver.
	t.arrived[src.idx].Store(-1)
	t.start = time.Now()
	b.cur.Store(t)
	defer b.cur.Store(nil)
	// An unconfirmed broadcast (a busy pool) is still in effect: measure on.
	if err := src.pool.SetMeta(meta); err != nil && !errors.Is(err, cluster.ErrBroadcastUnconfirmed) {
		return 0, nil, err
	}
	return b.await(t, alive, timeout)
}

func (b *bench) death(timeout time.Duration) (time.Duration, []time.Duration, error) {
	alive := b.alive()
	// Seeds stay, so replacements can join.
	var victims []*member
	for _, m := range alive {
		if !b.seedIdx[m.idx] {
			victims = append(victims, m)
		}
	}
	if len(victims) == 0 {
		return 0, nil, errors.New("no member to kill")
	}
	v := victims[rand.IntN(len(victims))]
	t := b.newTarget(v.pool.Name(), true, 0, len(alive)-1)
	t.arrived[v.idx].Store(-1)
	// A member that does not list the victim (it missed the join, or
	// wrongly declared it dead already) will never report its death.
	for _, m := range alive {
		if m != v && !lists(m.pool, v.pool.Name()) {
			t.arrived[m.idx].Store(-1)
			t.want--
			t.excluded++
		}
	}
	v.gone.Store(true)
	b.killed.Store(v.pool.Name(), true)
	t.start = time.Now()
	b.cur.Store(t)
	defer b.cur.Store(nil)
	v.pool.Close() // no Leave: a crash
	return b.await(t, alive, timeout)
}

func lists(p *cluster.Pool, name string) bool {
	for _, m := range p.Members() {
		if m.Name == name {
			return true
		}
	}
	return false
}

// await waits for every receiver, then returns the time until the last one
// and each one's time.
func (b *bench) await(t *target, alive []*member, timeout time.Duration) (time.Duration, []time.Duration, error) {
	b.excluded += t.excluded
	if t.want <= 0 {
		return 0, nil, errors.New("no member knew the victim")
	}
	select {
	case <-t.done:
	case <-time.After(timeout):
		return 0, nil, fmt.Errorf("only %d of %d members learned it within %s", t.count.Load(), t.want, timeout)
	}
	var last time.Duration
	var each []time.Duration
	for _, m := range alive {
		if d := time.Duration(t.arrived[m.idx].Load()); d > 0 {
			each = append(each, d)
			last = max(last, d)
		}
	}
	return last, each, nil
}

// waitConverged waits until every live member lists n members.
func (b *bench) waitConverged(n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		behind, worst := 0, n
		for _, m := range b.alive() {
			if c := m.pool.Stats().Members; c != n {
				behind++
				worst = min(worst, c)
			}
		}
		if behind == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d members do not list all %d after %s (the worst lists %d)", behind, n, timeout, worst)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *bench) closeAll() {
	var wg sync.WaitGroup
	for _, m := range b.members {
		wg.Go(func() { m.pool.Close() })
	}
	wg.Wait()
	b.wg.Wait()
}
