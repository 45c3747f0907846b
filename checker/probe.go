package checker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"stratus/checker/qos"
	"stratus/edge/api"
	"stratus/encoder/h264dec"
	"stratus/signaling"
)

// clockSamples is how many clock requests a probe sends: the best of eight
// round trips is within a millisecond of the true offset on a quiet link.
const clockSamples = 8

// Probe plays cfg.Title once through the signaling node and returns what
// it measured. The error says why it could not measure: the node refused
// the join, no video came, or ctx ended.
func Probe(ctx context.Context, cfg Config, log *slog.Logger) (qos.Result, error) {
	res := qos.Result{Title: cfg.Title, At: time.Now().UTC()}
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.JoinTimeout+cfg.Watch+5*time.Second)
	defer cancel()
	sock, err := dial(ctx, cfg.Signal, cmp.Or(cfg.Origin, strings.TrimRight(cfg.Signal, "/")))
	if err != nil {
		return res, err
	}
	defer sock.close()
	dec, err := h264dec.New(h264dec.Config{})
	if err != nil {
		return res, fmt.Errorf("checker: decoder: %w", err)
	}
	pc, in, err := newPeer()
	if err != nil {
		dec.Close()
		return res, fmt.Errorf("checker: %w", err)
	}
	p := &probe{cfg: cfg, log: log, sock: sock, pc: pc, in: in, dec: dec, clk: newClock(),
		frames: make(chan frame, 256), trackDone: make(chan struct{}), inOpen: make(chan struct{})}
	defer p.close()
	return p.run(ctx, res)
}

// probe is one probe's peer and what it has read so far.
type probe struct {
	cfg  Config
	log  *slog.Logger
	sock *socket
	pc   *webrtc.PeerConnection
	in   *webrtc.DataChannel
	dec  *h264dec.Decoder
	clk  *clock

	frames     chan frame
	trackDone  chan struct{} // closed when the track's reader has ended
	tracked    atomic.Bool   // a track arrived
	decodeErrs atomic.Int64
	inOpen     chan struct{}
	openOnce   sync.Once

	mu       sync.Mutex
	joinSent bool
	pending  []webrtc.ICECandidateInit
}

func (p *probe) run(ctx context.Context, res qos.Result) (qos.Result, error) {
	p.pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if tr.Kind() != webrtc.RTPCodecTypeVideo || !p.tracked.CompareAndSwap(false, true) {
			return
		}
		defer close(p.trackDone)
		pli := func() {
			p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
		}
		p.decodeErrs.Store(int64(receive(tr, p.dec, p.frames, pli)))
	})
	p.in.OnOpen(func() { p.openOnce.Do(func() { close(p.inOpen) }) })
	p.in.OnMessage(func(m webrtc.DataChannelMessage) {
		if !m.IsString {
			p.clk.reply(m.Data, time.Now())
		}
	})
	p.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			p.trickle(c.ToJSON())
		}
	})
	offer, err := p.pc.CreateOffer(nil)
	if err == nil {
		err = p.pc.SetLocalDescription(offer)
	}
	if err != nil {
		return res, fmt.Errorf("checker: offer: %w", err)
	}

	joinCtx, cancelJoin := context.WithTimeout(ctx, p.cfg.JoinTimeout)
	defer cancelJoin()
	joinAt := time.Now()
	if err := p.join(offer.SDP); err != nil {
		return res, err
	}
	joined, err := p.sock.await(joinCtx, signaling.TypeJoined, signaling.TypeQueued)
	if err == nil && joined.Type == signaling.TypeQueued {
		// Every edge the join may go to refused it: a check waits for
		// no one's slot.
		err = api.Errorf(api.CodeEdgeFull, "put in line: the edge refused the join")
	}
	if err != nil {
		return res, fmt.Errorf("checker: join: %w", err)
	}
	res.Edge, res.Region, res.Session = joined.Edge, joined.Region, joined.Session
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: joined.SDP}); err != nil {
		return res, fmt.Errorf("checker: answer of %s: %w", res.Edge, err)
	}
	var first frame
	select {
	case first = <-p.frames:
	case <-joinCtx.Done():
		return res, fmt.Errorf("checker: no frame from %s within %v (connection %s)", res.Edge, p.cfg.JoinTimeout, p.pc.ConnectionState())
	}
	res.JoinMs = msOf(first.at) - msOf(joinAt)

	if err := p.measureClock(joinCtx); err != nil {
		return res, err
	}
	bytesBefore := p.videoStats().BytesReceived
	watchStart := time.Now()
	p.watch(ctx, &res, first)
	p.readStats(&res, bytesBefore, time.Since(watchStart))
	res.DecodeErrors = int(p.decodeErrs.Load())
	p.sock.send(signaling.Message{Type: signaling.TypeLeave})
	return res, nil
}

// join sends the join and the candidates gathered so far; later ones
// follow as they come (trickle).
func (p *probe) join(sdp string) error {
	if err := p.sock.send(signaling.Message{Type: signaling.TypeJoin, Title: p.cfg.Title, SDP: sdp, Exclude: p.cfg.Exclude}); err != nil {
		return fmt.Errorf("checker: join: %w", err)
	}
	p.mu.Lock()
	p.joinSent = true
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	for _, c := range pending {
		p.sendCandidate(c)
	}
	return nil
}

func (p *probe) trickle(c webrtc.ICECandidateInit) {
	p.mu.Lock()
	if !p.joinSent {
		p.pending = append(p.pending, c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.sendCandidate(c)
}

func (p *probe) sendCandidate(c webrtc.ICECandidateInit) {
	p.sock.send(signaling.Message{Type: signaling.TypeCandidate,
		Candidate: &signaling.Candidate{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex}})
}

// measureClock sends clockSamples clock requests and waits for one reply
// at least; replies still on their way refine the estimate while the
// probe watches.
func (p *probe) measureClock(ctx context.Context) error {
	select {
	case <-p.inOpen:
	case <-ctx.Done():
		return errors.New("checker: the input channel did not open")
	}
	for i := range clockSamples {
		if err := sendClock(p.in, uint32(i)); err != nil {
			return fmt.Errorf("checker: clock: %w", err)
		}
		time.Sleep(10 * time.Millisecond) // spread them over jitter
	}
	for {
		if _, _, ok := p.clk.get(); ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("checker: the edge answered no clock request")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// watch reads frames for cfg.Watch, measuring glass-to-glass on each and
// input-to-display for cfg.Inputs key presses, one at a time.
func (p *probe) watch(ctx context.Context, res *qos.Result, last frame) {
	start := time.Now()
	end := start.Add(p.cfg.Watch)
	every := p.cfg.Watch / time.Duration(p.cfg.Inputs+1)
	nextInput := start.Add(every)
	var g2g, inputs []float64
	var sentAt time.Time // zero: no input in flight
	var before uint32
	timer := time.NewTimer(p.cfg.Watch)
	defer timer.Stop()
	for {
		select {
		case f := <-p.frames:
			if !f.at.Before(start) {
				// Frames queued while the clock was measured count
				// for latency, not for the rate.
				res.Frames++
			}
			if offset, _, ok := p.clk.get(); ok && !f.corrupt {
				g2g = append(g2g, msOf(f.at)-renderTime(f.renderMs, f.at, offset))
			}
			if !sentAt.IsZero() && !f.corrupt && f.inputs != before {
				inputs = append(inputs, msOf(f.at)-msOf(sentAt))
				sentAt = time.Time{}
			}
			last = f
			if sentAt.IsZero() && len(inputs) < p.cfg.Inputs && time.Now().After(nextInput) {
				before, sentAt = last.inputs, time.Now()
				if err := sendKey(p.in); err != nil {
					p.log.Warn("checker: input", "err", err)
					sentAt = time.Time{}
				}
				nextInput = nextInput.Add(every)
			}
		case <-timer.C:
		case <-ctx.Done():
		}
		if !time.Now().Before(end) || ctx.Err() != nil {
			break
		}
	}
	res.FPS = float64(res.Frames) / time.Since(start).Seconds()
	res.G2G, res.Input = qos.Percentiles(g2g), qos.Percentiles(inputs)
	res.ClockOffsetMs, res.ClockRTTMs, _ = p.clk.get()
}

// videoStats is the receiver's RTP statistics of the video.
func (p *probe) videoStats() webrtc.InboundRTPStreamStats {
	for _, s := range p.pc.GetStats() {
		if in, ok := s.(webrtc.InboundRTPStreamStats); ok && in.Kind == "video" {
			return in
		}
	}
	return webrtc.InboundRTPStreamStats{}
}

// readStats puts the video's loss, jitter and the bitrate over the watch
// (bytesBefore received when it began, d long) in res.
func (p *probe) readStats(res *qos.Result, bytesBefore uint64, d time.Duration) {
	in := p.videoStats()
	if total := float64(in.PacketsReceived) + float64(in.PacketsLost); total > 0 {
		res.Loss = max(0, float64(in.PacketsLost)/total)
	}
	res.JitterMs = in.Jitter * 1000
	if d > 0 {
		res.Kbps = float64(in.BytesReceived-bytesBefore) * 8 / 1000 / d.Seconds()
	}
}

// close ends the peer, then the decoder once the track's reader, its only
// user, has stopped.
func (p *probe) close() {
	p.pc.Close()
	if p.tracked.Load() {
		select {
		case <-p.trackDone:
		case <-time.After(5 * time.Second):
			p.log.Error("checker: the video reader did not stop; the decoder is left open")
			return
		}
	}
	p.dec.Close()
}
