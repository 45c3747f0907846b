package signaling

import (
	"sync"
	"time"
)

// rememberEvery is how often the signal book reads the directory's
// signaling nodes when nobody asks: often enough to catch a node that
// lives for a few seconds only.
const rememberEvery = 2 * time.Second

// signalSource lists the signaling nodes known now; it may be called from
// any goroutine.
type signalSource interface {
	Signals() []string
}

// signalBook remembers every signaling node the directory has ever listed,
// so that pages served by a node that has since gone from gossip may still
// fall back here (their Origin is admitted). It reads the directory on
// every question and, on its own goroutine, every rememberEvery until
// close. It is safe for concurrent use.
type signalBook struct {
	src        signalSource
	stop, done chan struct{}
	closeOnce  sync.Once

	mu   sync.Mutex
	seen map[string]bool // the nodes' origins (originOf)
}

func newSignalBook(src signalSource) *signalBook {
	b := &signalBook{src: src, stop: make(chan struct{}), done: make(chan struct{}), seen: map[string]bool{}}
	go b.run()
	return b
}

func (b *signalBook) run() {
	defer close(b.done)
	t := time.NewTicker(rememberEvery)
	defer t.Stop()
	for {
		b.current()
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
	}
}

// current lists the signaling nodes known now, and remembers them.
func (b *signalBook) current() []string {
	list := b.src.Signals()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range list {
		if o, err := originOf(u); err == nil {
			b.seen[o] = true
		}
	}
	return list
}

// known says whether origin (as originOf writes it) is a signaling node
// ever listed.
func (b *signalBook) known(origin string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seen[origin]
}

// close ends the book's goroutine. Safe to call twice.
func (b *signalBook) close() {
	b.closeOnce.Do(func() { close(b.stop) })
	<-b.done
}
