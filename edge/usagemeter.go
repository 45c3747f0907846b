package edge

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"stratus/edge/usage"
)

// pushFailed logs a failed push, once until one succeeds again.
func (m *usageMeter) pushFailed(err error) {
	m.mu.Lock()
	first := !m.failing
	m.failing = true
	m.mu.Unlock()
	if first && m.log != nil {
		m.log.Warn("usage: the ledger is unreachable; records wait in the journal", "err", err)
	}
}

// usageEvery is how often running sessions are checkpointed: a kill -9
// loses at most this much of their usage.
const usageEvery = 10 * time.Second

// usageMeter writes the usage records of the edge's sessions to its
// journal: a checkpoint of each running session every usageEvery, and a
// final record at its end. run belongs to the edge's tasks; the other
// methods may be called from any goroutine.
type usageMeter struct {
	j    *usage.Journal
	base usage.Record // the edge's part of every record
	gpu  func(index int) string
	// push sends records to the network's ledger; nil keeps them here.
	push func(context.Context, []usage.Record) error

	mu      sync.Mutex
	running map[string]*metered
	// unsent holds each session's newest record the ledger has not
	// acknowledged; it starts with the whole journal, since the ledger
	// keeps only the newest of a session, whatever it already has.
	unsent  map[string]usage.Record
	failing bool
	log     *slog.Logger
}

type metered struct {
	r   *running
	seq uint64
}

func newUsageMeter(j *usage.Journal, base usage.Record, gpuModel func(int) string) *usageMeter {
	m := &usageMeter{j: j, base: base, gpu: gpuModel, running: map[string]*metered{}, unsent: map[string]usage.Record{}}
	for _, r := range j.Records() {
		m.unsent[r.Session] = r
	}
	return m
}

// start meters r from now on.
func (m *usageMeter) start(r *running) {
	m.mu.Lock()
	m.running[r.id] = &metered{r: r}
	m.mu.Unlock()
}

// end writes r's final record.
func (m *usageMeter) end(r *running) error {
	m.mu.Lock()
	me, ok := m.running[r.id]
	delete(m.running, r.id)
	m.mu.Unlock()
	if !ok {
		return nil
	}
	me.seq++
	// Write signs the records of the slice it is given: the queued one
	// must be that one, not a copy left unsigned (which the ledger would
	// refuse, leaving every session that ends normally out of it).
	recs := []usage.Record{m.record(me, true)}
	if err := m.j.Write(recs...); err != nil {
		return err
	}
	m.queue(recs...)
	return nil
}

// queue keeps rec (signed by Write) for the ledger.
func (m *usageMeter) queue(recs ...usage.Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range recs {
		m.unsent[r.Session] = r
	}
}

// maxPush bounds one push: the ledger takes at most a thousand records
// a batch (signaling.MaxUsageBatch).
const maxPush = 1000

// send pushes the unsent records, a batch at a time, forgetting each once
// the ledger has it (unless a newer one came meanwhile).
func (m *usageMeter) send(ctx context.Context) error {
	if m.push == nil {
		return nil
	}
	m.mu.Lock()
	batch := make([]usage.Record, 0, min(len(m.unsent), maxPush))
	for _, r := range m.unsent {
		if len(batch) == maxPush {
			break
		}
		batch = append(batch, r)
	}
	m.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := m.push(ctx, batch); err != nil {
		return err
	}
	m.mu.Lock()
	for _, r := range batch {
		if cur, ok := m.unsent[r.Session]; ok && cur.Seq == r.Seq {
			delete(m.unsent, r.Session)
		}
	}
	m.failing = false
	m.mu.Unlock()
	return nil
}

// run checkpoints the running sessions until ctx ends.
func (m *usageMeter) run(ctx context.Context) error {
	t := time.NewTicker(usageEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		m.mu.Lock()
		recs := make([]usage.Record, 0, len(m.running))
		for _, me := range m.running {
			me.seq++
			recs = append(recs, m.record(me, false))
		}
		m.mu.Unlock()
		if len(recs) > 0 {
			if err := m.j.Write(recs...); err != nil {
				return err
			}
			m.queue(recs...)
		}
		if err := m.send(ctx); err != nil && ctx.Err() == nil {
			// The ledger catches up at a later tick: nothing is lost
			// while the journal holds the records.
			m.pushFailed(err)
		}
	}
}

// record is me's usage now.
func (m *usageMeter) record(me *metered, final bool) usage.Record {
	r := me.r
	rec := m.base
	rec.Session, rec.Seq, rec.Final, rec.Kind = r.id, me.seq, final, usage.KindPlayer
	rec.Title, rec.Player = r.title, r.player
	now := time.Now()
	rec.Start, rec.End = r.started.UTC(), now.UTC()
	rec.Seconds = now.Sub(r.started).Seconds()
	if s := r.sess.Load(); s != nil {
		st := s.Stats()
		rec.FramesSent, rec.FramesPresented, rec.Bytes = st.Frames, st.FramesPresented, st.BytesSent
	}
	if r.enc != nil {
		rec.Encoder = r.enc.Name()
	}
	if r.gpu >= 0 {
		rec.GPU = &usage.GPUUse{Model: m.gpu(r.gpu)}
		if strings.Contains(rec.Encoder, "nvenc") {
			rec.GPU.NVENCSeconds = rec.Seconds
		}
	}
	return rec
}
