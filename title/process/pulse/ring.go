package pulse

// ring is a fixed-size FIFO of interleaved samples that, when full, makes
// room by dropping the oldest: for game sound a late sample is worth less
// than a missing one, since everything behind it would be late too. It is
// not safe for concurrent use; the Recorder guards it with its mutex.
type ring struct {
	buf   []int16
	head  int // index of the oldest sample
	count int // samples held
	align int // pushes and pops keep whole frames of this many samples
}

func newRing(samples, align int) *ring {
	samples -= samples % align
	return &ring{buf: make([]int16, samples), align: align}
}

// push appends src and returns how many old samples it dropped to make
// room. If src alone is longer than the ring, only its end is kept.
func (r *ring) push(src []int16) (dropped int) {
	src = src[:len(src)-len(src)%r.align]
	if len(src) > len(r.buf) {
		dropped = len(src) - len(r.buf)
		src = src[dropped:]
	}
	if over := r.count + len(src) - len(r.buf); over > 0 {
		r.head = (r.head + over) % len(r.buf)
		r.count -= over
		dropped += over
	}
	tail := (r.head + r.count) % len(r.buf)
	n := copy(r.buf[tail:], src)
	copy(r.buf, src[n:])
	r.count += len(src)
	return dropped
}

// pop moves up to len(dst) samples, whole frames only, into dst and
// returns how many it moved.
func (r *ring) pop(dst []int16) int {
	n := min(len(dst)-len(dst)%r.align, r.count)
	if n == 0 {
		return 0
	}
	k := copy(dst[:n], r.buf[r.head:])
	copy(dst[k:n], r.buf)
	r.head = (r.head + n) % len(r.buf)
	r.count -= n
	return n
}

// drop discards up to n of the oldest samples, whole frames only, and
// returns how many it discarded.
func (r *ring) drop(n int) int {
	n = min(n-n%r.align, r.count)
	if n <= 0 {
		return 0
	}
	r.head = (r.head + n) % len(r.buf)
	r.count -= n
	return n
}

// len is the number of samples held.
func (r *ring) len() int { return r.count }
