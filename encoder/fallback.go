package encoder

import (
	"errors"
	"fmt"
	"sync"
)

// WithFallback returns a Video that encodes with primary until primary
// fails in a way isLost recognises (a hardware session that is gone: the
// GPU was reset or fell off the bus, or ran out of encoder sessions). It
// then closes primary, opens the fallback with open, forces an IDR on it and
// encodes the same picture again, so the player loses no frame and gets a
// picture to decode from at once. From then on every call goes to the
// fallback; there is no second switch, and no way back: a session rarely
// outlives a GPU reset by long enough to make returning worth the risk.
//
// Errors for which isLost is false are returned as they are: they concern
// one picture, and the next may succeed. onSwitch, when not nil, is called
// once, from Encode, after the switch, with the encoders' names and the
// error that caused it; it must not call back into the returned Video.
//
// The returned Video keeps the encoder.Video contract: Encode and Close on
// one goroutine, ForceIDR and SetBitrate from any. Name may also be called
// from any goroutine (status pages and metrics ask while the session runs)
// and reports the encoder in use now. The last bitrate set is applied to the
// fallback when it opens, so the congestion controller's estimate is not
// lost with the hardware.
func WithFallback(primary Video, open func() (Video, error), isLost func(error) bool, onSwitch func(from, to string, err error)) Video {
	return &fallback{cur: primary, name: primary.Name(), open: open, isLost: isLost, onSwitch: onSwitch}
}

type fallback struct {
	open     func() (Video, error)
	isLost   func(error) bool
	onSwitch func(from, to string, err error)

	// mu guards everything below against ForceIDR, SetBitrate and Name,
	// which come from other goroutines. It is never held across Encode or
	// Close of an inner encoder, which take milliseconds: RTCP feedback
	// must not wait for a picture.
	mu sync.Mutex
	// cur is the encoder in use; nil while switching, after a failed
	// switch, and after Close.
	cur  Video
	name string
	// switched is set once the fallback was tried, whether it opened or
	// not.
	switched bool
	// broken is why Encode cannot go on: the fallback did not open.
	broken  error
	closed  bool
	bitrate int // the last SetBitrate, 0 when none
}

func (f *fallback) Name() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.name
}

func (f *fallback) ForceIDR() {
	f.mu.Lock()
	defer f.mu.Unlock()
	// While switching (cur nil) the request is not lost: the fallback
	// starts with an IDR anyway.
	if f.cur != nil {
		f.cur.ForceIDR()
	}
}

func (f *fallback) SetBitrate(bps int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bitrate = bps
	if f.cur != nil {
		f.cur.SetBitrate(bps)
	}
}

func (f *fallback) Encode(pic *I420) (AccessUnit, error) {
	f.mu.Lock()
	cur, switched, broken, closed := f.cur, f.switched, f.broken, f.closed
	f.mu.Unlock()
	switch {
	case closed:
		return AccessUnit{}, errors.New("encoder: encode after close")
	case broken != nil:
		return AccessUnit{}, broken
	}
	au, err := cur.Encode(pic)
	if err == nil || switched || f.isLost == nil || !f.isLost(err) {
		return au, err
	}
	next, err := f.switchOver(cur, err)
	if err != nil {
		return AccessUnit{}, err
	}
	return next.Encode(pic)
}

// switchOver replaces the lost encoder old with the fallback, carrying the
// last bitrate over and starting it with an IDR. It returns the fallback,
// or why there is none.
func (f *fallback) switchOver(old Video, lost error) (Video, error) {
	f.mu.Lock()
	// ForceIDR and SetBitrate now only record: old is about to be closed.
	f.cur, f.switched = nil, true
	from := f.name
	f.mu.Unlock()
	old.Close()

	next, err := f.open()
	if err == nil && next == nil {
		err = errors.New("no encoder")
	}
	f.mu.Lock()
	if err != nil {
		f.broken = fmt.Errorf("encoder: %s lost (%w) and the fallback did not open: %w", from, lost, err)
		f.mu.Unlock()
		return nil, f.broken
	}
	if f.bitrate > 0 {
		next.SetBitrate(f.bitrate)
	}
	next.ForceIDR()
	f.cur, f.name = next, next.Name()
	f.mu.Unlock()
	if f.onSwitch != nil {
		f.onSwitch(from, next.Name(), lost)
	}
	return next, nil
}

// Close closes the encoder in use. Safe to call twice.
func (f *fallback) Close() error {
	f.mu.Lock()
	cur := f.cur
	f.cur, f.closed = nil, true
	f.mu.Unlock()
	if cur == nil {
		return nil
	}
	return cur.Close()
}
