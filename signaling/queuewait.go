package signaling

import (
	"errors"
	"time"

	"stratus/edge/api"
	"stratus/signaling/route"
)

// errLeftLine ends a wait in line that needs no answer: the player left,
// joined again, or went away, or the node is closing.
var errLeftLine = errors.New("signaling: left the line")

// settle is the least time between two attempts of a line's head that
// asked an edge: an edge gossip shows with room may refuse (its slot
// promised to a player of another node), and each update of any edge
// would otherwise cost it another call. Free slots gossip reports later
// are still taken within settle.
const settle = 100 * time.Millisecond

// waitForRoom holds a join that found every edge offering the title full
// in the title's line (queue.go) until it reaches the head and room
// appears, the wait ends, or the player leaves. It runs on the session
// goroutine, which owns the place: the goroutine that would serve the
// player's messages anyway serves them here, so a wait costs no goroutine
// of its own and ends with the connection. tried says the join has just
// been refused for want of room, so the head need not ask at once.
//
// The head asks for room when:
//   - it becomes the head (the one before was placed, or left);
//   - an edge is reported with a free slot (route.Index.Roomed): gossip,
//     or a polled directory's look;
//   - a session this node placed ends (queue.roomMayBe);
//   - every Queue.Retry, in case none of these told.
func (c *conn) waitForRoom(title string, req route.Request, create api.CreateRequest, tried bool) (placement, route.Decision, error) {
	q, cfg := c.s.queue, c.s.cfg.Queue
	w, ok := q.join(title)
	if !ok {
		return placement{}, route.Decision{}, api.Errorf(api.CodeEdgeFull,
			"all servers for %s are busy and %d players are already waiting; try again later", title, cfg.PerTitle)
	}
	c.inLine = true
	began := time.Now()
	result := "left"
	defer func() {
		c.inLine = false
		q.leave(w)
		c.s.metrics.queueWait.WithLabelValues(result).Observe(time.Since(began).Seconds())
	}()
	c.log.Info("join waits in line", "title", title, "position", q.position(w))
	expire := time.NewTimer(cfg.Wait)
	defer expire.Stop()
	retry := time.NewTicker(cfg.Retry)
	defer retry.Stop()
	var (
		told    int              // the place the player was last told
		calm    <-chan time.Time // until settle has passed since an edge refused
		pending bool             // room was reported while calm
		tryNow  = !tried
	)
	for {
		pos := q.position(w)
		if pos != told {
			told = pos
			ahead := pos - 1
			c.send(Message{Type: TypeQueued, Title: title, Position: pos, Ahead: &ahead})
		}
		head := pos == 1
		if head && tryNow && calm == nil {
			tryNow, pending = false, false
			asked := false
			p, d, err := c.place(req, create, func(string) { asked = true })
			switch {
			case err == nil:
				result = "placed"
				c.log.Info("join leaves the line: placed", "title", title, "waited", time.Since(began).Round(time.Millisecond))
				return p, d, nil
			case !isFull(err):
				// The title went, or every edge: waiting longer would
				// not help.
				result = "failed"
				return p, d, err
			case asked:
				calm = time.After(settle)
			}
			continue
		}
		var roomed <-chan struct{}
		var tick <-chan time.Time
		if head {
			roomed, tick = c.s.choice.edges.Roomed(), retry.C
		}
		select {
		case <-w.nudge:
			// Moved up, or a session ended: the head asks.
			tryNow = true
		case <-roomed:
			tryNow = true
		case <-tick:
			tryNow = true
		case <-calm:
			calm = nil
			tryNow = tryNow || pending
		case <-expire.C:
			result = "timeout"
			c.log.Info("join leaves the line: waited too long", "title", title, "waited", cfg.Wait)
			return placement{}, route.Decision{}, api.Errorf(api.CodeQueueTimeout,
				"all servers for %s stayed busy for %s; please try again later", title, cfg.Wait)
		case <-c.readDone:
			return placement{}, route.Decision{}, errLeftLine
		case <-c.ctx.Done():
			result = "closed"
			return placement{}, route.Decision{}, errLeftLine
		case m := <-c.ops:
			switch m.Type {
			case TypeLeave:
				return placement{}, route.Decision{}, errLeftLine
			case TypeJoin:
				// A new join replaces this one, and waits at the end of
				// the line if it must.
				c.deferred = &m
				return placement{}, route.Decision{}, errLeftLine
			default:
				c.apply(m)
			}
		}
		if calm != nil && tryNow {
			// Remember the news for the end of the calm.
			pending, tryNow = true, false
		}
	}
}
