package input

// MaxPads is how many gamepads one player may use: a couch's worth. The
// wire format allows 256, and a process title makes a kernel device for
// each pad it sees, so events for pads from MaxPads on are dropped here
// (and counted in Receiver.ExtraPads) before any title sees them.
const MaxPads = 4

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
	pads     map[uint8]padState
	// Stale counts state messages dropped because a newer one was applied.
	Stale uint64
	// Repeats counts gamepad messages that carried the state already
	// applied: the page re-sends state on the lossy channel, and a title
	// sees only changes.
	Repeats uint64
	// ExtraPads counts gamepad messages dropped because their pad index
	// is MaxPads or more.
	ExtraPads uint64
}

type padState struct {
	seq     uint16
	buttons uint32
	axes    [4]int16
	lt, rt  uint8
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
		if e.Pad >= MaxPads {
			r.ExtraPads++
			return e, false
		}
		if r.pads == nil {
			r.pads = make(map[uint8]padState)
		}
		last, ok := r.pads[e.Pad]
		if ok && !Newer(e.Seq, last.seq) {
			r.Stale++
			return e, false
		}
		cur := padState{e.Seq, e.Buttons, e.Axes, e.LT, e.RT}
		r.pads[e.Pad] = cur
		if ok && cur.buttons == last.buttons && cur.axes == last.axes && cur.lt == last.lt && cur.rt == last.rt {
			r.Repeats++
			return e, false
		}
	}
	return e, true
}
