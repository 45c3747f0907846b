package signaling

import (
	"sync/atomic"
	"time"

	"stratus/trust/resume"
)

// resumeSpend makes a resume token usable once across every edge this
// node places players on; each edge also refuses a token it took itself
// (package trust/resume). Its methods may be called from any goroutine.
type resumeSpend struct {
	key   []byte
	spent *resume.Spent
}

func newResumeSpend(key []byte) *resumeSpend {
	if len(key) == 0 {
		return nil
	}
	return &resumeSpend{key: key, spent: resume.NewSpent()}
}

// spendResume returns the resume token a join may hand its edge, and a
// function to call once the join is placed. A token another connection
// already spent on a placed join is dropped: the game starts afresh, as an
// edge would start it, so state copied from one page cannot be played
// twice. A token this connection spent before (a retry after the player
// never reached the edge, a failover) passes, and so does one this node
// cannot open (the edge judges it). A join that is not placed spends
// nothing.
func (c *conn) spendResume(title, token string) (string, func()) {
	rs := c.s.resume
	if rs == nil || token == "" {
		return token, func() {}
	}
	t, err := resume.Open(rs.key, title, token, time.Now())
	if err != nil {
		return token, func() {}
	}
	if seq, ok := c.resumed[t.Lineage]; ok && seq == t.Seq {
		return token, func() {}
	}
	var placed atomic.Bool
	if err := rs.spent.Take(t, time.Now(), placed.Load); err != nil {
		c.s.metrics.resumeRefused.Inc()
		c.log.Warn("resume token refused: spent already by another connection; the game starts afresh", "title", title, "err", err)
		return "", func() {}
	}
	return token, func() {
		placed.Store(true)
		if c.resumed == nil {
			c.resumed = map[resume.Lineage]uint64{}
		}
		c.resumed[t.Lineage] = t.Seq
	}
}
