package netem

import (
	"errors"
	"fmt"
	"time"
)

// Limits on what a Shape may ask for. They bound the memory a direction
// holds (packets in flight) and catch units slipping (a delay in seconds
// given as milliseconds, a rate in bytes given as bits).
const (
	MaxDelay = 10 * time.Second
	MinRate  = 8_000          // bit/s: below, one 1500-byte packet takes 1.5 s
	MaxRate  = 10_000_000_000 // bit/s: far beyond what one copying goroutine moves
	MaxQueue = 10 * time.Second
	// DefaultQueue is the queue of a rate-limited direction that names none:
	// 100 ms, the bottleneck queue of issue 11's scenarios and about what a
	// home router buffers.
	DefaultQueue = 100 * time.Millisecond
)

// GilbertElliott is a two-state burst loss model, evaluated per packet: in
// the good state a packet is lost with LossGood, in the bad state with
// LossBad; after each packet the model goes from good to bad with P and from
// bad to good with R. The mean burst length is 1/R packets and the share of
// packets seen in the bad state P/(P+R). The zero value loses nothing.
type GilbertElliott struct {
	P, R              float64
	LossGood, LossBad float64
}

func (g GilbertElliott) enabled() bool { return g.P > 0 || g.LossGood > 0 }

// Shape is what one direction of a Link does to packets, in this order:
// random loss, burst loss, the rate limit with its queue (drop-tail), then
// delay and jitter. The zero value passes everything at once.
type Shape struct {
	// Delay is added to every packet.
	Delay time.Duration
	// Jitter spreads each packet's delay uniformly over Delay ± Jitter
	// (never below zero). Packets still leave in order unless Reorder is set.
	Jitter  time.Duration
	Reorder bool
	// Loss is the probability, 0 to 1, that a packet is dropped at random.
	Loss float64
	// Burst adds Gilbert-Elliott loss on top of Loss.
	Burst GilbertElliott
	// Rate is the capacity in bit/s; 0 is unlimited.
	Rate int64
	// Queue bounds the packets waiting for the rate, as time to drain at
	// Rate; QueueBytes, when set, bounds it in bytes instead. Both zero with
	// a Rate: DefaultQueue.
	Queue      time.Duration
	QueueBytes int
}

// queueLimit is how long a packet may wait for the rate before it is dropped.
func (s Shape) queueLimit() time.Duration {
	switch {
	case s.QueueBytes > 0:
		return time.Duration(float64(s.QueueBytes) * 8 / float64(s.Rate) * float64(time.Second))
	case s.Queue > 0:
		return s.Queue
	default:
		return DefaultQueue
	}
}

// Validate reports every problem of the shape at once; dir names it in the errors.
func (s Shape) Validate(dir string) error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("netem: %s: "+format, append([]any{dir}, a...)...))
	}
	if s.Delay < 0 || s.Delay > MaxDelay {
		bad("delay %v: must be 0 to %v", s.Delay, MaxDelay)
	}
	if s.Jitter < 0 || s.Jitter > MaxDelay {
		bad("jitter %v: must be 0 to %v", s.Jitter, MaxDelay)
	}
	prob := func(name string, p float64) {
		if !(p >= 0 && p <= 1) { // also catches NaN
			bad("%s %v: must be a probability, 0 to 1", name, p)
		}
	}
	prob("loss", s.Loss)
	prob("burst P", s.Burst.P)
	prob("burst R", s.Burst.R)
	prob("burst LossGood", s.Burst.LossGood)
	prob("burst LossBad", s.Burst.LossBad)
	if s.Burst.P > 0 && s.Burst.R == 0 {
		bad("burst P %v with R 0: the bad state would never end", s.Burst.P)
	}
	if s.Rate != 0 && (s.Rate < MinRate || s.Rate > MaxRate) {
		bad("rate %d bit/s: must be 0 (unlimited) or %d to %d", s.Rate, MinRate, MaxRate)
	}
	if s.Queue < 0 || s.Queue > MaxQueue {
		bad("queue %v: must be 0 to %v", s.Queue, MaxQueue)
	}
	if s.QueueBytes < 0 {
		bad("queue %d bytes: must not be negative", s.QueueBytes)
	}
	if s.Queue > 0 && s.QueueBytes > 0 {
		bad("queue given both as %v and as %d bytes: give one", s.Queue, s.QueueBytes)
	}
	if s.Rate == 0 && (s.Queue > 0 || s.QueueBytes > 0) {
		bad("a queue without a rate: nothing would ever wait in it")
	}
	if s.Rate > 0 && s.QueueBytes > 0 && s.queueLimit() > MaxQueue {
		bad("queue %d bytes at %d bit/s: over %v to drain", s.QueueBytes, s.Rate, MaxQueue)
	}
	return errors.Join(errs...)
}

// Impairment is a Link's two directions.
type Impairment struct {
	// ToNamespace shapes packets from the host into the namespace,
	// FromNamespace those from the namespace to the host.
	ToNamespace, FromNamespace Shape
}

// Symmetric is an impairment that shapes both directions alike.
func Symmetric(s Shape) Impairment { return Impairment{ToNamespace: s, FromNamespace: s} }

// Validate reports every problem of both directions at once.
func (im Impairment) Validate() error {
	return errors.Join(im.ToNamespace.Validate("to namespace"), im.FromNamespace.Validate("from namespace"))
}
