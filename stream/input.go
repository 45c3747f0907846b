package stream

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"stratus/input"

	"github.com/pion/webrtc/v4"
)

// Data channel labels the page opens (see package input).
const (
	labelInput  = "input"  // ordered, reliable: key and button edges
	labelMotion = "motion" // unordered, no retransmits: absolute state
)

// Data channel bounds. A player's page opens two channels and sends input
// events of at most 18 bytes, many to a message at most, so anything beyond
// these is a modified page, and what it would cost the edge is capped.
const (
	// maxDataChannels is how many channels a peer may open over its life:
	// the two the page opens, and room to reopen each once. Each open
	// channel holds a read goroutine and a 64 KiB buffer in Pion, so
	// channels past it, and any with an unknown label, are closed on
	// arrival.
	maxDataChannels = 4
	// sctpMaxMessage is the largest data channel message the edge accepts,
	// advertised in the answer (max-message-size): far above any input
	// batch, far below what Pion would otherwise let one message grow to.
	sctpMaxMessage = 16 << 10
	// sctpReceiveBuffer bounds the input a peer's association may have
	// queued unread (SCTP's receive window); Pion's default is 1 MiB.
	sctpReceiveBuffer = 256 << 10
	// maxLoggedLabel is how much of a channel's label a log line shows.
	maxLoggedLabel = 32
)

// Input queue bounds. The session drains the queue every game frame, so it
// only fills when the session stalls. State events (motion, gamepad) stop
// being queued a little before the end, keeping room for edges, which must
// not be lost to a flood of motion.
const (
	maxQueuedInput = 4096
	edgeReserve    = 512
)

// replier sends a message back on the channel a message came from. Pion's
// DataChannel is one; Send must not block (Pion's does not: SCTP buffers).
type replier interface {
	Send([]byte) error
}

// inputQueue holds decoded events between the data channels' goroutines
// and ReadInput. Safe for concurrent use.
type inputQueue struct {
	mu     sync.Mutex
	events []input.Event
}

// push queues evs and returns how many state and edge events did not fit.
func (q *inputQueue) push(evs []input.Event) (lostState, lostEdges int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, e := range evs {
		limit := maxQueuedInput - edgeReserve
		if isEdge(e) {
			limit = maxQueuedInput
		}
		if len(q.events) >= limit {
			if isEdge(e) {
				lostEdges++
			} else {
				lostState++
			}
			continue
		}
		q.events = append(q.events, e)
	}
	return lostState, lostEdges
}

func (q *inputQueue) drain(dst []input.Event) []input.Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	dst = append(dst, q.events...)
	q.events = q.events[:0]
	return dst
}

// isEdge reports whether losing e changes what the title sees for good: a
// key or button that stays held, a touch that never ends, scrolling that
// never happens. Motion and gamepad messages carry absolute state, so the
// next one makes up for a lost one.
func isEdge(e input.Event) bool {
	switch e.Kind {
	case input.KindMouseMove, input.KindGamepad, input.KindPresent, input.KindReceive:
		return false
	case input.KindTouch:
		return e.Phase != input.TouchMove
	}
	return true
}

// ReadInput appends the input events received since the last call to dst
// and returns it. The session calls it once per game frame; events keep
// their order within a channel. Pings never appear: they are answered on
// arrival.
func (p *Peer) ReadInput(dst []input.Event) []input.Event {
	return p.in.drain(dst)
}

// onDataChannel wires a channel the page opened. Pion runs each channel's
// OnMessage on that channel's own goroutine, one message at a time, so the
// decode scratch slice can live in the closure.
func (p *Peer) onDataChannel(dc *webrtc.DataChannel) {
	defer p.contain("data channel")
	label := dc.Label()
	logged := label
	if len(logged) > maxLoggedLabel {
		// The page picks labels, up to 64 KiB of them.
		logged = logged[:maxLoggedLabel] + "…"
	}
	log := p.log.With("channel", logged)
	if label != labelInput && label != labelMotion {
		// An outdated or modified page: closed, counted, never applied.
		p.refuseChannel(dc, log, "unknown data channel closed")
		return
	}
	if p.channels.Add(1) > maxDataChannels {
		p.refuseChannel(dc, log, "too many data channels, closed", "limit", maxDataChannels)
		return
	}
	if label == labelInput {
		if !dc.Ordered() || dc.MaxRetransmits() != nil || dc.MaxPacketLifeTime() != nil {
			log.Warn("input channel is not reliable and ordered; key releases may be lost")
		}
		p.control.Store(dc)
	} else {
		p.startBeats(dc)
	}
	var scratch []input.Event
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		defer p.contain("input message")
		if p.closed.Load() {
			return
		}
		if m.IsString && label == labelInput && p.cfg.OnText != nil {
			p.cfg.OnText(string(m.Data))
			return
		}
		if m.IsString {
			// The protocol is binary; text is garbage even if it decodes.
			p.c.inputGarbage.Add(1)
			p.inputLog.log(log, slog.LevelDebug, "text message on input channel", "bytes", len(m.Data))
			return
		}
		scratch = p.handleInput(dc, log, m.Data, scratch[:0])
	})
}

// refuseChannel closes a channel the peer does not serve. Close only
// starts the stream's reset, so it does not wait on the player.
func (p *Peer) refuseChannel(dc *webrtc.DataChannel, log *slog.Logger, msg string, args ...any) {
	p.c.channelsRefused.Add(1)
	p.channelLog.log(log, slog.LevelWarn, msg, args...)
	dc.OnMessage(func(webrtc.DataChannelMessage) { p.c.inputIgnored.Add(1) })
	if err := dc.Close(); err != nil {
		p.channelLog.log(log, slog.LevelDebug, "closing a refused data channel failed", "err", err)
	}
}

// maxControlBuffered bounds what SendText leaves queued on the channel: a
// page that stopped reading must not make the edge buffer without end.
const maxControlBuffered = 64 << 10

// ErrNotOpen is returned by SendText before the page's input channel opens.
var ErrNotOpen = errors.New("stream: input channel not open")

// SendText sends a text message to the page on the reliable "input"
// channel (the page tells it from ping echoes, which are binary). It never
// blocks: when the channel is not open or too much is queued, the message
// is dropped and an error returned.
func (p *Peer) SendText(msg string) error {
	dc := p.control.Load()
	if dc == nil || dc.ReadyState() != webrtc.DataChannelStateOpen {
		return ErrNotOpen
	}
	if dc.BufferedAmount() > maxControlBuffered {
		return fmt.Errorf("stream: input channel backed up (%d bytes queued)", dc.BufferedAmount())
	}
	return dc.SendText(msg)
}

// Flush waits up to limit for the control messages sent so far to leave
// for the page, as before closing the connection.
func (p *Peer) Flush(limit time.Duration) {
	dc := p.control.Load()
	if dc == nil {
		return
	}
	deadline := time.Now().Add(limit)
	for dc.BufferedAmount() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// Queued no more is not yet received: give SCTP a moment to carry the
	// last message before the association goes.
	time.Sleep(min(50*time.Millisecond, time.Until(deadline)))
}

// handleInput decodes one message, answers its pings and clock requests
// on r and queues the rest. It returns the scratch slice for reuse.
func (p *Peer) handleInput(r replier, log *slog.Logger, msg []byte, scratch []input.Event) []input.Event {
	evs, err := input.Decode(scratch, msg)
	if err != nil {
		p.c.inputGarbage.Add(1)
		p.inputLog.log(log, slog.LevelDebug, "malformed input message", "bytes", len(msg), "err", err)
		return evs
	}
	// Events have fixed sizes, so each event's bytes are found by walking
	// the message; a ping is echoed byte for byte, without the events that
	// shared its message.
	kept := evs[:0]
	off := 0
	for _, e := range evs {
		n := e.Kind.Size()
		switch {
		case e.Kind == input.KindBeat:
			// The edge's own message, sent back: nothing to apply.
			p.c.inputIgnored.Add(1)
		case e.Kind == input.KindPing || e.Kind == input.KindClock:
			echo := append([]byte(nil), msg[off:off+n]...)
			if e.Kind == input.KindClock {
				echo = input.AppendClockReply(nil, e, time.Now())
			}
			if err := r.Send(echo); err != nil {
				p.inputLog.log(log, slog.LevelDebug, "ping echo failed", "err", err)
			} else {
				p.c.pingsEchoed.Add(1)
			}
		default:
			kept = append(kept, e)
		}
		off += n
	}
	if len(kept) == 0 {
		return evs
	}
	lostState, lostEdges := p.in.push(kept)
	p.c.inputEvents.Add(uint64(len(kept) - lostState - lostEdges))
	if lost := lostState + lostEdges; lost > 0 {
		p.c.inputDropped.Add(uint64(lost))
		if lostEdges > 0 {
			p.edgeLossLog.log(log, slog.LevelWarn, "input queue full, key or button events lost",
				"edges", lostEdges, "state", lostState)
		} else {
			p.stateLossLog.log(log, slog.LevelDebug, "input queue full, motion events dropped", "state", lostState)
		}
	}
	return evs
}
