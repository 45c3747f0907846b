package stream

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"stratus/internal/panics"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/webrtc/v4"
)

// gatherTimeout bounds Answer's wait for ICE gathering. With the muxes the
// candidates are known at once; the bound only matters if Pion misbehaves.
const gatherTimeout = 2 * time.Second

// logEvery spaces out log lines about things a player can cause at line
// rate (garbage input, bad RTCP).
const logEvery = time.Second

// PeerConfig describes one player.
type PeerConfig struct {
	// ID names the player's session in logs.
	ID string

	// Callbacks run on Pion's goroutines, on timers, or inside WriteVideo;
	// they must not block and must not call Close. Any may be nil.

	// OnKeyframeRequest asks the encoder for an IDR: the player sent PLI or
	// FIR, or the peer dropped frames and now waits for a keyframe.
	// Requests closer than 100 ms are merged.
	OnKeyframeRequest func()
	// OnBitrate reports a new encoder bitrate in bits per second: GCC's
	// target clamped to the Config bounds, less the share FEC takes on top
	// of it. The encoder starts at Config.StartBitrate.
	OnBitrate func(bps int)
	// OnState reports each connection state change, in order, ending with
	// StateClosed (delivered before Close returns).
	OnState func(State)
	// OnText, when set, takes the text messages the page sends on its
	// reliable "input" channel (a standby's control messages, see
	// package input); without it text is garbage, as for a played
	// session. It runs on that channel's goroutine, one message at a time.
	OnText func(msg string)
}

// Peer is one player's connection: video out, input in.
//
// All methods are safe for concurrent use; WriteVideo is meant for one
// goroutine so that frames keep their order.
type Peer struct {
	cfg PeerConfig
	eng *Engine
	log *slog.Logger

	pc        *webrtc.PeerConnection
	track     *webrtc.TrackLocalStaticSample
	audio     *webrtc.TrackLocalStaticSample
	sender    *webrtc.RTPSender
	videoSSRC uint32
	bwe       cc.BandwidthEstimator // set by attachBWE during NewPeerConnection

	c          counters
	video      videoOut
	in         inputQueue
	keyframes  keyframeGate
	control    atomic.Pointer[webrtc.DataChannel] // the page's "input" channel, once opened
	beats      atomic.Pointer[webrtc.DataChannel] // the "motion" channel the heartbeat goes on
	channels   atomic.Int32                       // data channels accepted, against maxDataChannels
	candidates atomic.Int32                       // candidates trickled, against MaxCandidates

	stateMu  sync.Mutex   // orders state reports
	state    State        // guarded by stateMu
	stateNow atomic.Int32 // state, readable without stateMu from callbacks

	bitrateMu   sync.Mutex // orders bitrate reports
	lastBitrate int
	gate        *lossGate    // loss side of the rate control, see ratectl.go
	rateMu      sync.Mutex   // orders delay-side updates
	delayRate   *aimd        // delay side of the rate control, see aimd.go
	acked       *ackedRate   // what the player's feedback acknowledges
	target      atomic.Int64 // the rate target, bits per second
	rateTrace   rateLog      // the rate inputs, for diagnosis at debug level

	twcc        twccSeq        // transport-wide numbers, media and FEC
	fecOverhead fecOverheadQ16 // read by the FEC sender per packet
	fecOn       atomic.Bool    // the answer negotiated FlexFEC
	fecMu       sync.Mutex     // orders FEC updates
	fecAt       time.Time      // last FEC update
	fecLoss     float64        // the loss FEC is sized to, see updateFEC

	inputLog, edgeLossLog, stateLossLog, channelLog, writeLog, rtcpLog rateLog

	closed    atomic.Bool
	done      chan struct{}
	wg        sync.WaitGroup // sendLoop, rtcpLoop
	closeOnce sync.Once
	closeErr  error
}

// NewPeer creates the connection for one player. It is ready for Answer.
func (e *Engine) NewPeer(cfg PeerConfig) (*Peer, error) {
	p := &Peer{
		cfg:   cfg,
		eng:   e,
		log:   e.log.With("peer", cfg.ID),
		video: newVideoOut(),
		done:  make(chan struct{}),
	}
	for _, r := range []*rateLog{&p.inputLog, &p.edgeLossLog, &p.stateLossLog, &p.channelLog, &p.writeLog, &p.rtcpLog, &p.rateTrace} {
		r.every = logEvery
	}
	p.keyframes = keyframeGate{interval: keyframeInterval, fire: p.fireKeyframe}
	p.lastBitrate = e.cfg.StartBitrate
	p.target.Store(int64(e.cfg.StartBitrate))
	p.gate = newLossGate(lossGateConfig{
		Min: e.cfg.MinBitrate, Max: e.cfg.MaxBitrate,
		LowLoss: gateLowLoss, HighLoss: e.cfg.RandomLossMax,
		DelayWindow: gateDelayWindow, Step: gateStep,
	}, e.cfg.StartBitrate)
	p.delayRate = newAIMD(e.cfg.MinBitrate, e.cfg.StartBitrate, e.cfg.MaxBitrate)
	p.acked = newAckedRate(time.Now())
	p.twcc.acked = p.acked

	api, err := e.newAPI(p)
	if err != nil {
		return nil, fmt.Errorf("stream: webrtc api: %w", err)
	}
	if p.pc, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		if p.bwe != nil {
			_ = p.bwe.Close()
		}
		return nil, fmt.Errorf("stream: peer connection: %w", err)
	}
	if err := p.setup(); err != nil {
		_ = p.pc.Close()
		return nil, err
	}
	if !e.track(p) {
		_ = p.pc.Close()
		return nil, ErrClosed
	}
	p.wg.Add(2)
	go p.sendLoop()
	go p.rtcpLoop()
	return p, nil
}

func (p *Peer) setup() error {
	if p.bwe == nil {
		return errors.New("stream: congestion controller was not created")
	}
	var err error
	p.track, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{
		MimeType:    webrtc.MimeTypeH264,
		ClockRate:   90000,
		SDPFmtpLine: h264Fmtp,
	}, "video", "stratus")
	if err != nil {
		return fmt.Errorf("stream: video track: %w", err)
	}
	// Added before the offer is applied, Pion matches the track to the
	// page's recvonly video transceiver and answers sendonly.
	if p.sender, err = p.pc.AddTrack(p.track); err != nil {
		return fmt.Errorf("stream: add video track: %w", err)
	}
	if enc := p.sender.GetParameters().Encodings; len(enc) > 0 {
		p.videoSSRC = uint32(enc[0].SSRC)
	}
	if err := p.addAudio(); err != nil {
		return err
	}
	p.pc.OnConnectionStateChange(func(webrtc.PeerConnectionState) {
		defer p.contain("connection state")
		p.updateState()
	})
	p.pc.OnDataChannel(p.onDataChannel)
	return nil
}

// Answer applies the page's offer and returns the complete answer, all
// candidates included (the edge does not trickle).
func (p *Peer) Answer(offerSDP string) (string, error) {
	if p.closed.Load() {
		return "", ErrClosed
	}
	if err := CheckOffer(offerSDP); err != nil {
		return "", err
	}
	offer := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}
	if err := p.pc.SetRemoteDescription(offer); err != nil {
		return "", fmt.Errorf("stream: apply offer: %w", err)
	}
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("stream: create answer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("stream: apply answer: %w", err)
	}
	t := time.NewTimer(gatherTimeout)
	defer t.Stop()
	select {
	case <-gathered:
	case <-t.C:
		p.log.Warn("ICE gathering incomplete, answering with the candidates found", "after", gatherTimeout)
	case <-p.done:
		return "", ErrClosed
	}
	return p.pc.LocalDescription().SDP, nil
}

// MaxCandidates bounds the candidates one player may trickle. A browser
// gathers a host candidate or two per interface and address family, one
// reflexive and a few relayed: a dozen or two. Past the bound a page is
// broken or hostile, and each candidate Pion keeps costs connectivity
// checks for the peer's life.
const MaxCandidates = 64

// ErrTooManyCandidates is returned by AddCandidate past MaxCandidates.
var ErrTooManyCandidates = fmt.Errorf("stream: more than %d candidates from one player", MaxCandidates)

// ErrBadCandidate wraps AddCandidate's error for a candidate that does not
// parse.
var ErrBadCandidate = errors.New("stream: bad candidate")

// AddCandidate adds a candidate the page trickled. An ICE-lite edge never
// needs them, because it learns the player's address from the player's own
// checks, but they are accepted so signaling need not know; one that
// arrives before the offer is dropped for the same reason. Every call
// counts against MaxCandidates, dropped or not.
func (p *Peer) AddCandidate(c webrtc.ICECandidateInit) error {
	if p.closed.Load() {
		return ErrClosed
	}
	if p.candidates.Add(1) > MaxCandidates {
		p.c.candidatesRefused.Add(1)
		return ErrTooManyCandidates
	}
	if p.pc.RemoteDescription() == nil {
		p.log.Debug("candidate before offer ignored")
		return nil
	}
	if err := p.pc.AddICECandidate(c); err != nil {
		return fmt.Errorf("%w: %w", ErrBadCandidate, err)
	}
	return nil
}

// State returns the current connection state.
func (p *Peer) State() State { return State(p.stateNow.Load()) }

// updateState reports the connection's current state if it changed. Pion
// runs its state handler on a new goroutine per change, so handlers can run
// out of order; reading the current state under a lock instead of using the
// handler's argument keeps reports in order (a short-lived state may be
// skipped, an old one never reported late).
func (p *Peer) updateState() { p.report(stateOf(p.pc.ConnectionState())) }

// report delivers state s unless it is the current one; nothing follows
// StateClosed.
func (p *Peer) report(s State) {
	p.stateMu.Lock()
	if s == p.state || p.state == StateClosed {
		p.stateMu.Unlock()
		return
	}
	p.state = s
	p.stateNow.Store(int32(s))
	p.log.Info("connection state", "state", s)
	wantKey := p.video.setState(s)
	if p.cfg.OnState != nil {
		p.cfg.OnState(s)
	}
	p.stateMu.Unlock()
	if wantKey {
		p.requestKeyframe()
	}
}

// requestKeyframe asks the encoder for an IDR, merging close requests.
func (p *Peer) requestKeyframe() { p.keyframes.request() }

func (p *Peer) fireKeyframe() {
	defer p.contain("keyframe request")
	if p.closed.Load() {
		return
	}
	p.c.keyframeRequests.Add(1)
	if p.cfg.OnKeyframeRequest != nil {
		p.cfg.OnKeyframeRequest()
	}
}

// contain stops a panic on one of the peer's goroutines (Pion's callbacks,
// its timers, its own loops) from ending the process: it logs the panic with
// its stack and closes the peer, which ends the player's session through
// OnState as any lost connection does. Defer it directly: recover works
// only there. Close runs on a goroutine of its own because it waits for the
// peer's loops, which may be the one that panicked; it ends when Close
// returns.
func (p *Peer) contain(where string) {
	if pe := panics.From(recover()); pe != nil {
		p.c.panics.Add(1)
		pe.Log(p.log, "peer panicked, closing the connection", "in", where)
		go p.Close()
	}
}

// Close ends the connection and waits for the peer's goroutines. It
// delivers OnState(StateClosed) on the calling goroutine, so the caller must
// not hold a lock that OnState takes. Safe to call more than once; later
// calls return the first call's result.
func (p *Peer) Close() error {
	p.closeOnce.Do(func() {
		p.closed.Store(true)
		close(p.done)
		p.keyframes.stop()
		// Closing the connection stops the sender, which ends rtcpLoop.
		p.closeErr = p.pc.Close()
		p.wg.Wait()
		p.report(StateClosed)
		p.eng.forget(p)
	})
	return p.closeErr
}
