package input

// Receiver turns the events of one player's channels into the events a title
// sees: it drops stale state messages from the unordered channel and derives
// relative mouse motion from the running sums.
//
// A Receiver is not safe for concurrent use; one goroutine (the session's)
// owns it.
type Receiver struct {
	haveMove bool
	moveSeq  uint16
	accX     int32
	accY     int32
	padSeq   map[uint8]uint16
	// Stale counts state messages dropped because a newer one was applied.
	Stale uint64
}

// Accept reports whether e should be applied, and returns it with the derived
// fields filled in.
func (r *Receiver) Accept(e Event) (Event, bool) {
	switch e.Kind {
	case KindMouseMove:
		if r.haveMove && !Newer(e.Seq, r.moveSeq) {
			r.Stale++
			return e, false
		}
		if r.haveMove {
			e.RelX, e.RelY = e.AccX-r.accX, e.AccY-r.accY
		}
		r.haveMove, r.moveSeq, r.accX, r.accY = true, e.Seq, e.AccX, e.AccY
	case KindGamepad:
		if r.padSeq == nil {
			r.padSeq = make(map[uint8]uint16)
		}
		if last, ok := r.padSeq[e.Pad]; ok && !Newer(e.Seq, last) {
			r.Stale++
			return e, false
		}
		r.padSeq[e.Pad] = e.Seq
	}
	return e, true
}
