package edge

import (
	"context"
	"strings"
	"sync"
	"time"

	"stratus/edge/usage"
)

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

	mu      sync.Mutex
	running map[string]*metered
}

type metered struct {
	r   *running
	seq uint64
}

func newUsageMeter(j *usage.Journal, base usage.Record, gpuModel func(int) string) *usageMeter {
	return &usageMeter{j: j, base: base, gpu: gpuModel, running: map[string]*metered{}}
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
	return m.j.Write(m.record(me, true))
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
