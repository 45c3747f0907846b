package stream

import (
	"fmt"
	"strconv"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// h264Codecs are the H.264 variants the edge sends: constrained baseline
// (what the encoders produce) and baseline (which Safari offers alone), both
// with packetization-mode 1 so a frame may span packets. Each gets an RTX
// payload type. The numbers are only the edge's preference; an answer uses
// the offer's.
var h264Codecs = [...]struct {
	pt, rtx webrtc.PayloadType
	profile string
}{
	{102, 103, "42e01f"},
	{104, 105, "42001f"},
}

// h264Fmtp is the format of the track; Pion binds it to the negotiated
// codec whose parameters match, constrained baseline first.
const h264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"

// videoFeedback is what the edge understands from the player. goog-remb is
// left out: the browser's receive-side estimate would only compete with the
// edge's own GCC, which runs on transport-cc feedback.
var videoFeedback = [...]webrtc.RTCPFeedback{
	{Type: webrtc.TypeRTCPFBNACK},
	{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
	{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
	{Type: webrtc.TypeRTCPFBTransportCC},
}

// flexfecPT is the edge's preferred FlexFEC payload type; an answer uses
// the offer's.
const flexfecPT = 49

// newMediaEngine registers the codecs the edge sends; fec adds FlexFEC-03.
func newMediaEngine(fec bool) (*webrtc.MediaEngine, error) {
	m := &webrtc.MediaEngine{}
	for _, c := range h264Codecs {
		h264 := webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType:     webrtc.MimeTypeH264,
				ClockRate:    90000,
				SDPFmtpLine:  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + c.profile,
				RTCPFeedback: videoFeedback[:],
			},
			PayloadType: c.pt,
		}
		rtx := webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType:    webrtc.MimeTypeRTX,
				ClockRate:   90000,
				SDPFmtpLine: "apt=" + strconv.Itoa(int(c.pt)),
			},
			PayloadType: c.rtx,
		}
		for _, codec := range []webrtc.RTPCodecParameters{h264, rtx} {
			if err := m.RegisterCodec(codec, webrtc.RTPCodecTypeVideo); err != nil {
				return nil, fmt.Errorf("register %s: %w", codec.MimeType, err)
			}
		}
	}
	// Opus costs nothing while no audio is offered, and lets a later audio
	// track negotiate without touching the video setup.
	opus := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType:    webrtc.MimeTypeOpus,
			ClockRate:   48000,
			Channels:    2,
			SDPFmtpLine: "minptime=10;useinbandfec=1",
		},
		PayloadType: 111,
	}
	if err := m.RegisterCodec(opus, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("register opus: %w", err)
	}
	if fec {
		// Chromium 156 offers flexfec-03 without field trials and uses it
		// (see doc.go). The repair window is how far back, in RTP clock
		// units, a FEC packet may protect: ten seconds is what Chromium
		// offers.
		flex := webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType:    webrtc.MimeTypeFlexFEC03,
				ClockRate:   90000,
				SDPFmtpLine: "repair-window=10000000",
			},
			PayloadType: flexfecPT,
		}
		if err := m.RegisterCodec(flex, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, fmt.Errorf("register flexfec-03: %w", err)
		}
	}
	if err := m.RegisterHeaderExtension(
		webrtc.RTPHeaderExtensionCapability{URI: playoutDelayURI}, webrtc.RTPCodecTypeVideo,
	); err != nil {
		return nil, fmt.Errorf("register playout-delay: %w", err)
	}
	return m, nil
}

// newAPI builds the webrtc.API for one peer. Each peer gets its own API
// because Pion creates interceptors per PeerConnection but names the
// connection only by an internal id: with a registry per peer, the GCC
// estimator and the counters are bound to their Peer by construction.
// Sockets and settings are shared through the SettingEngine, which each
// API copies.
//
// Interceptors wrap each other in registration order, the first one closest
// to the network, so:
//
//	sendCounter  sees every packet that leaves, retransmissions included
//	cc (GCC)     must see retransmissions too, and their transport-cc numbers
//	fec          sends FlexFEC after each frame, computed over the packets
//	             as they leave (numbered) and numbered itself (fec.go)
//	twcc         numbers every packet, retransmissions included
//	nack         keeps packets (already carrying playout delay) and resends
//	             them below itself
//	reports      sender reports count original packets only
//	playout      stamps every original packet first
func (e *Engine) newAPI(p *Peer) (*webrtc.API, error) {
	m, err := newMediaEngine(e.cfg.FECMaxOverhead > 0)
	if err != nil {
		return nil, err
	}
	// Pion's lines about this peer carry its id and fall silent when it
	// closes.
	lf := pionLoggerFactory{log: p.log, quiet: &p.closed}
	reg := &interceptor.Registry{}
	for _, f := range e.netInterceptors {
		reg.Add(f)
	}
	reg.Add(sendCounterFactory{c: &p.c})

	cfg := e.cfg
	bwe, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		est, err := gcc.NewSendSideBWE(
			gcc.SendSideBWEInitialBitrate(cfg.StartBitrate),
			gcc.SendSideBWEMinBitrate(cfg.MinBitrate),
			gcc.SendSideBWEMaxBitrate(cfg.MaxBitrate),
			// A pacer spreads a keyframe over tens of milliseconds; the
			// encoder's rate control already keeps frames within budget.
			// A new pacer per estimator: the pacer holds per-connection
			// writers.
			gcc.SendSideBWEPacer(gcc.NewNoOpPacer()),
			gcc.WithLoggerFactory(lf),
		)
		if err != nil {
			return nil, err
		}
		return rtxAwareBWE{est}, nil
	})
	if err != nil {
		return nil, err
	}
	bwe.OnNewPeerConnection(func(_ string, est cc.BandwidthEstimator) { p.attachBWE(est) })
	reg.Add(bwe)
	reg.Add(fecFactory{overhead: &p.fecOverhead, on: &p.fecOn, twcc: &p.twcc, c: &p.c})
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, kind); err != nil {
			return nil, fmt.Errorf("register transport-cc: %w", err)
		}
	}
	reg.Add(twccFactory{seq: &p.twcc})
	// 1024 packets are half a second at 20 Mbit/s; a packet older than that
	// arrives too late to be shown anyway.
	responder, err := nack.NewResponderInterceptor(
		nack.ResponderSize(1024),
		nack.WithResponderLoggerFactory(lf),
	)
	if err != nil {
		return nil, err
	}
	reg.Add(responder)
	if err := webrtc.ConfigureRTCPReportsWithOptions(reg,
		[]report.ReceiverOption{report.WithReceiverLoggerFactory(lf)},
		report.WithSenderLoggerFactory(lf),
	); err != nil {
		return nil, err
	}
	reg.Add(playoutDelayFactory{})

	settings := e.settings
	settings.LoggerFactory = lf
	return webrtc.NewAPI(
		webrtc.WithMediaEngine(m),
		webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(settings),
	), nil
}
