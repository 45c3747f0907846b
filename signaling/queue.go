package signaling

import (
	"container/list"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Queue bounds the queue of players waiting for room: a join for a title
// that every edge offering it is too full to take waits in line instead of
// being refused, and is placed when a slot frees (see conn.waitForRoom).
type Queue struct {
	// PerTitle bounds the players waiting for one title on this node;
	// beyond it a join is refused as edge_full, as without a queue. A
	// line that long is one a newcomer would not wait out, and each place
	// holds a socket and the goroutine serving it. 0 turns the queue off.
	PerTitle int
	// Wait bounds how long a player waits; then the join is refused with
	// queue_timeout. Past it, telling the player to come back later is
	// kinder than a spinner without end, and it keeps a forgotten tab from
	// holding its place, and its session slot, for ever.
	Wait time.Duration
	// Retry is how often the head of a line asks for room when nothing
	// has said there may be some: a fallback for the changes no event
	// tells of, a polled directory's, or a slot this node promised and
	// the edge never filled.
	Retry time.Duration
}

// DefaultQueue returns the queue a public node starts with.
func DefaultQueue() Queue {
	return Queue{PerTitle: 200, Wait: 10 * time.Minute, Retry: time.Second}
}

// Validate reports every problem at once.
func (q Queue) Validate() error {
	var errs []error
	if q.PerTitle < 0 {
		errs = append(errs, fmt.Errorf("signaling: queue per title %d must not be negative", q.PerTitle))
	}
	if q.PerTitle > 0 && q.Wait <= 0 {
		errs = append(errs, fmt.Errorf("signaling: queue wait %v must be positive", q.Wait))
	}
	// Asking more often than this would cost edges calls for nothing:
	// gossip reports a freed slot within about this long anyway.
	if q.PerTitle > 0 && q.Retry < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("signaling: queue retry %v must be at least 10ms", q.Retry))
	}
	return errors.Join(errs...)
}

// queue holds the players waiting for room, first come first served per
// title. It is this node's own: players queued on other signaling nodes
// wait in theirs, and a freed slot goes to whichever node's head asks
// first. Sharing one line between nodes would need them to agree on every
// place; most players of a region reach the same few nodes anyway.
//
// Each waiter is served by its connection's session goroutine, which owns
// its place: the queue only orders them and nudges them when their place
// may have changed or room may have appeared; no goroutine is its own. It
// is safe for concurrent use, and no method blocks on anything but its
// mutex.
type queue struct {
	max    int
	length *prometheus.GaugeVec // by title

	mu     sync.Mutex
	titles map[string]*list.List // of *waiter; no empty lists
}

// waiter is one player's place in a title's line.
type waiter struct {
	title string
	el    *list.Element // nil once out of the line
	// nudge holds at most one signal, so that the queue never waits on a
	// waiter: one that wakes reads its place then, whatever the count of
	// changes.
	nudge chan struct{}
}

func newQueue(max int, length *prometheus.GaugeVec) *queue {
	return &queue{max: max, length: length, titles: map[string]*list.List{}}
}

// waiting counts the players in title's line.
func (q *queue) waiting(title string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if l := q.titles[title]; l != nil {
		return l.Len()
	}
	return 0
}

// join puts a player at the end of title's line, or says it is full.
func (q *queue) join(title string) (*waiter, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	l := q.titles[title]
	if l == nil {
		l = list.New()
	}
	if l.Len() >= q.max {
		return nil, false
	}
	q.titles[title] = l
	w := &waiter{title: title, nudge: make(chan struct{}, 1)}
	w.el = l.PushBack(w)
	q.length.WithLabelValues(title).Set(float64(l.Len()))
	return w, true
}

// position is w's place in its line, 1 at the head; 0 once out.
func (q *queue) position(w *waiter) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if w.el == nil {
		return 0
	}
	n := 1
	for e := w.el.Prev(); e != nil; e = e.Prev() {
		n++
	}
	return n
}

// leave takes w out of its line, if still in it; everyone behind moves
// up and is told so. Safe to call twice.
func (q *queue) leave(w *waiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if w.el == nil {
		return
	}
	l := q.titles[w.title]
	for e := w.el.Next(); e != nil; e = e.Next() {
		e.Value.(*waiter).poke()
	}
	l.Remove(w.el)
	w.el = nil
	q.length.WithLabelValues(w.title).Set(float64(l.Len()))
	if l.Len() == 0 {
		delete(q.titles, w.title)
	}
}

// roomMayBe nudges the head of every line: a session this node knew of
// has ended, and its slot may suit any title its edge offers.
func (q *queue) roomMayBe() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, l := range q.titles {
		l.Front().Value.(*waiter).poke()
	}
}

func (w *waiter) poke() {
	select {
	case w.nudge <- struct{}{}:
	default: // already nudged: it has yet to look
	}
}
