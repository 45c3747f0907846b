package stream

import (
	"sync/atomic"
	"time"
)

// Stats is a snapshot of one peer's counters. Counters only grow.
type Stats struct {
	State State

	// RTT is the round trip computed from the player's latest RTCP receiver
	// report; 0 until one arrives (browsers send one about every second).
	RTT time.Duration
	// FractionLost is the share of video packets lost, 0..1, as the latest
	// receiver report says (before NACK repaired any).
	FractionLost float64
	// ReceiverReports counts receiver report blocks about the video stream.
	ReceiverReports uint64
	// TargetBitrate is GCC's current estimate, clamped to the configured
	// bounds, in bits per second.
	TargetBitrate int

	// PacketsSent and BytesSent count RTP packets (and their SRTP bytes)
	// handed to the network, retransmissions and FEC included.
	PacketsSent, BytesSent uint64
	// NACKs counts NACK feedback messages received, NACKedPackets the
	// sequence numbers they asked for, Retransmits the packets resent.
	NACKs, NACKedPackets, Retransmits uint64
	// FECPackets and FECBytes count FlexFEC packets sent (PacketsSent and
	// BytesSent include them); FECOverhead is the current overhead, FEC
	// packets per media packet, 0 while the measured loss needs none or
	// the player's browser did not take FlexFEC.
	FECPackets, FECBytes uint64
	FECOverhead          float64

	// PLIs and FIRs count keyframe requests received from the player;
	// KeyframeRequests counts calls of OnKeyframeRequest, after duplicates
	// were merged and including the peer's own requests.
	PLIs, FIRs, KeyframeRequests uint64

	// FramesSent counts access units packetized and sent; FramesDropped
	// those WriteVideo dropped (not connected yet, waiting for a keyframe,
	// or the send queue full).
	FramesSent, FramesDropped uint64
	// AudioSent counts Opus packets sent; AudioDropped those dropped
	// because the player was not connected or the write failed.
	AudioSent, AudioDropped uint64

	// InputEvents counts events queued for ReadInput; InputGarbage malformed
	// messages (dropped whole); InputDropped events lost to a full queue;
	// InputIgnored messages on data channels other than input and motion,
	// and beats a page sent back;
	// PingsEchoed pings answered.
	InputEvents, InputGarbage, InputDropped, InputIgnored, PingsEchoed uint64

	// Beats counts heartbeats sent on the motion channel (beat.go);
	// BeatsSkipped those left out because the channel was backed up.
	Beats, BeatsSkipped uint64

	// ChannelsRefused counts data channels the peer closed on arrival
	// (unknown label, or over maxDataChannels); CandidatesRefused trickled
	// candidates over maxCandidates; Panics panics contained on the peer's
	// goroutines (each closes the connection).
	ChannelsRefused, CandidatesRefused, Panics uint64
}

// counters are updated from Pion's goroutines and the session's without
// locks.
type counters struct {
	packetsSent, bytesSent, retransmits atomic.Uint64
	nacks, nackedPackets                atomic.Uint64
	plis, firs, keyframeRequests        atomic.Uint64
	receiverReports                     atomic.Uint64
	framesSent, framesDropped           atomic.Uint64
	inputEvents, inputGarbage           atomic.Uint64
	inputDropped, inputIgnored          atomic.Uint64
	pingsEchoed                         atomic.Uint64
	beats, beatsSkipped                 atomic.Uint64
	audioSent, audioDropped             atomic.Uint64
	channelsRefused, candidatesRefused  atomic.Uint64
	panics                              atomic.Uint64
	fecPackets, fecBytes                atomic.Uint64

	rtt    atomic.Int64  // nanoseconds
	lostQ8 atomic.Uint32 // fraction lost in 1/256
}

// Stats returns a snapshot of the peer's counters.
func (p *Peer) Stats() Stats {
	c := &p.c
	s := Stats{
		State:            p.State(),
		RTT:              time.Duration(c.rtt.Load()),
		FractionLost:     float64(c.lostQ8.Load()) / 256,
		ReceiverReports:  c.receiverReports.Load(),
		PacketsSent:      c.packetsSent.Load(),
		BytesSent:        c.bytesSent.Load(),
		NACKs:            c.nacks.Load(),
		NACKedPackets:    c.nackedPackets.Load(),
		Retransmits:      c.retransmits.Load(),
		FECPackets:       c.fecPackets.Load(),
		FECBytes:         c.fecBytes.Load(),
		FECOverhead:      float64(p.fecOverhead.Load()) / (1 << 16),
		PLIs:             c.plis.Load(),
		FIRs:             c.firs.Load(),
		KeyframeRequests: c.keyframeRequests.Load(),
		FramesSent:       c.framesSent.Load(),
		FramesDropped:    c.framesDropped.Load(),
		InputEvents:      c.inputEvents.Load(),
		InputGarbage:     c.inputGarbage.Load(),
		InputDropped:     c.inputDropped.Load(),
		InputIgnored:     c.inputIgnored.Load(),
		PingsEchoed:      c.pingsEchoed.Load(),
		Beats:            c.beats.Load(),
		BeatsSkipped:     c.beatsSkipped.Load(),
		AudioSent:        c.audioSent.Load(),
		AudioDropped:     c.audioDropped.Load(),

		ChannelsRefused:   c.channelsRefused.Load(),
		CandidatesRefused: c.candidatesRefused.Load(),
		Panics:            c.panics.Load(),
	}
	if p.bwe != nil {
		s.TargetBitrate = p.clampBitrate(int(p.target.Load()))
	}
	return s
}
