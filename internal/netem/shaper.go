package netem

import (
	"container/heap"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// MaxInFlight bounds the packets one direction holds (queued for the rate or
// delayed): 8192 full-size packets are 12 MB, a second of 100 Mbit/s.
// Packets beyond it are dropped and counted as DroppedOverflow.
const MaxInFlight = 8192

// DirStats counts what one direction did. Every packet read is passed,
// dropped for exactly one cause, or still in flight.
type DirStats struct {
	Read, ReadBytes     uint64
	Passed, PassedBytes uint64
	DroppedLoss         uint64 // random loss (Shape.Loss)
	DroppedBurst        uint64 // Gilbert-Elliott loss
	DroppedQueue        uint64 // the rate's queue was full (drop-tail)
	DroppedOverflow     uint64 // MaxInFlight reached
	WriteErrors         uint64 // the far device refused the packet
}

// Dropped is the sum of drops by every cause.
func (s DirStats) Dropped() uint64 {
	return s.DroppedLoss + s.DroppedBurst + s.DroppedQueue + s.DroppedOverflow + s.WriteErrors
}

// packet is one IP packet waiting until due.
type packet struct {
	due  time.Time
	seq  uint64
	data []byte
}

type packetHeap []packet

func (h packetHeap) Len() int { return len(h) }
func (h packetHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h packetHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *packetHeap) Push(x any)   { *h = append(*h, x.(packet)) }
func (h *packetHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	*h = old[:len(old)-1]
	return p
}

// direction copies packets from src to dst through a Shape. It owns two
// goroutines, a reader and a writer, which end when done is closed and src
// and dst are closed (the files are non-blocking, so Close interrupts a
// pending Read). mu guards everything below it.
type direction struct {
	src, dst *os.File
	done     <-chan struct{}
	log      *slog.Logger
	wake     chan struct{} // a new head of the queue; capacity 1

	mu       sync.Mutex
	shape    Shape
	rng      *rand.Rand
	geBad    bool
	nextFree time.Time // when the rate limiter finishes sending what it holds
	lastDue  time.Time // latest due time handed out, to keep order
	seq      uint64
	q        packetHeap
	st       DirStats
}

func newDirection(src, dst *os.File, done <-chan struct{}, s Shape, seed uint64, log *slog.Logger) *direction {
	return &direction{
		src: src, dst: dst, done: done, log: log,
		wake:  make(chan struct{}, 1),
		shape: s,
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
}

func (d *direction) set(s Shape) {
	d.mu.Lock()
	d.shape = s
	if !s.Burst.enabled() {
		d.geBad = false
	}
	d.mu.Unlock()
}

func (d *direction) stats() DirStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.st
}

// readLoop reads packets until src is closed.
func (d *direction) readLoop() {
	buf := make([]byte, 65536)
	for {
		n, err := d.src.Read(buf)
		if err != nil {
			select {
			case <-d.done:
			default:
				d.log.Warn("netem: read from TUN device", "err", err)
			}
			return
		}
		if d.admit(buf[:n], time.Now()) {
			select {
			case d.wake <- struct{}{}:
			default:
			}
		}
	}
}

// admit applies the shape to one packet read at now and queues it when it
// passes. It reports whether the packet became the head of the queue.
func (d *direction) admit(b []byte, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := &d.shape
	size := uint64(len(b))
	d.st.Read++
	d.st.ReadBytes += size
	if s.Loss > 0 && d.rng.Float64() < s.Loss {
		d.st.DroppedLoss++
		return false
	}
	if s.Burst.enabled() {
		p := s.Burst.LossGood
		if d.geBad {
			p = s.Burst.LossBad
		}
		lost := p > 0 && d.rng.Float64() < p
		if d.geBad {
			d.geBad = d.rng.Float64() >= s.Burst.R
		} else {
			d.geBad = d.rng.Float64() < s.Burst.P
		}
		if lost {
			d.st.DroppedBurst++
			return false
		}
	}
	if len(d.q) >= MaxInFlight {
		d.st.DroppedOverflow++
		return false
	}
	depart := now
	if s.Rate > 0 {
		start := now
		if d.nextFree.After(now) {
			start = d.nextFree
		}
		if start.Sub(now) > s.queueLimit() {
			d.st.DroppedQueue++
			return false
		}
		d.nextFree = start.Add(time.Duration(float64(size*8) / float64(s.Rate) * float64(time.Second)))
		depart = d.nextFree
	}
	delay := s.Delay
	if s.Jitter > 0 {
		delay += time.Duration((d.rng.Float64()*2 - 1) * float64(s.Jitter))
		delay = max(delay, 0)
	}
	due := depart.Add(delay)
	if !s.Reorder && due.Before(d.lastDue) {
		due = d.lastDue
	}
	if due.After(d.lastDue) {
		d.lastDue = due
	}
	d.seq++
	heap.Push(&d.q, packet{due: due, seq: d.seq, data: append([]byte(nil), b...)})
	return d.q[0].seq == d.seq
}

// writeLoop writes each packet to dst when it is due, until done.
func (d *direction) writeLoop() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		d.mu.Lock()
		var wait time.Duration = -1
		var out []byte
		if len(d.q) > 0 {
			if wait = time.Until(d.q[0].due); wait <= 0 {
				out = heap.Pop(&d.q).(packet).data
			}
		}
		d.mu.Unlock()
		if out != nil {
			d.write(out)
			continue
		}
		var fire <-chan time.Time
		if wait > 0 {
			timer.Reset(wait)
			fire = timer.C
		}
		select {
		case <-d.done:
			return
		case <-d.wake:
		case <-fire:
		}
		if wait > 0 && !timer.Stop() {
			select { // drain a fired timer so the next Reset starts clean
			case <-timer.C:
			default:
			}
		}
	}
}

func (d *direction) write(b []byte) {
	_, err := d.dst.Write(b)
	d.mu.Lock()
	if err != nil {
		d.st.WriteErrors++
	} else {
		d.st.Passed++
		d.st.PassedBytes += uint64(len(b))
	}
	d.mu.Unlock()
	if err != nil && !errors.Is(err, os.ErrClosed) {
		d.log.Debug("netem: write to TUN device", "err", err)
	}
}
