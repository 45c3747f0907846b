package edge

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"stratus/encoder"
	"stratus/session"
	"stratus/stream"
	"stratus/trust/resume"
)

// running is one admitted session and its connection. Its fields are set
// during set-up and read-only after, but for the atomics and grace.
type running struct {
	id      string
	title   string
	player  string // api.CreateRequest.Player
	started time.Time
	peer    *stream.Peer
	// enc is the session's encoder; its Name changes when a lost NVENC
	// session falls back to x264.
	enc encoder.Video
	gpu int // the GPU enc was opened on, -1 for software
	// renderer is what draws the title's picture (title.Info.Renderer).
	renderer string
	sess     atomic.Pointer[session.Session]
	state    atomic.Value // stream.State
	// snapshot is the title's latest saved state, if it saves any.
	snapshot atomic.Pointer[[]byte]
	resumed  bool
	// lineage and seq place the session's resume tokens (package trust/resume):
	// seq is the last sequence number issued.
	lineage resume.Lineage
	seq     atomic.Uint64
	// connected is set once the player's connection came up: until then
	// the resume token this session took may be taken again (a join that
	// failed must not cost the player their save).
	connected atomic.Bool

	mu    sync.Mutex
	grace *time.Timer // ends the session when a lost connection stays lost
}

func newRunning(id, title string) *running {
	r := &running{id: id, title: title, started: time.Now(), lineage: resume.NewLineage()}
	r.state.Store(stream.State(0))
	return r
}

// stop asks the session to end, if it got as far as having one.
func (r *running) stop(reason error) {
	if s := r.sess.Load(); s != nil {
		s.Stop(reason)
	}
}

// connState is the peer's last reported state.
func (r *running) connState() stream.State { return r.state.Load().(stream.State) }

// peerState ends a session whose player has gone: at once when the
// connection failed or closed, after grace when it is disconnected (ICE
// may still recover).
func (r *running) peerState(st stream.State, grace time.Duration) {
	r.state.Store(st)
	if st == stream.StateConnected {
		r.connected.Store(true)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.grace != nil {
		r.grace.Stop()
		r.grace = nil
	}
	switch st {
	case stream.StateFailed:
		r.stop(errors.New("connection failed"))
	case stream.StateClosed:
		r.stop(errors.New("connection closed"))
	case stream.StateDisconnected:
		r.grace = time.AfterFunc(grace, func() { r.stop(errors.New("connection lost")) })
	}
}

// stopGrace cancels a pending grace period, once the session has ended.
func (r *running) stopGrace() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.grace != nil {
		r.grace.Stop()
	}
}
