package stream

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// rtcpLoop reads the player's feedback about the video stream. It must run
// for the whole life of the peer even apart from what it does itself:
// Pion's interceptors (NACK, GCC, reports) see RTCP only while someone
// reads it. It ends when the peer closes.
func (p *Peer) rtcpLoop() {
	defer p.wg.Done()
	defer p.contain("rtcp loop")
	buf := make([]byte, 1500)
	for {
		n, attr, err := p.sender.Read(buf)
		if err != nil {
			if p.closed.Load() || errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed) {
				return
			}
			// A malformed packet: the interceptors could not parse it.
			p.rtcpLog.log(p.log, slog.LevelDebug, "bad rtcp from player", "err", err)
			continue
		}
		if attr == nil {
			attr = interceptor.Attributes{}
		}
		pkts, err := attr.GetRTCPPackets(buf[:n])
		if err != nil {
			p.rtcpLog.log(p.log, slog.LevelDebug, "bad rtcp from player", "err", err)
			continue
		}
		p.handleRTCP(pkts)
	}
}

func (p *Peer) handleRTCP(pkts []rtcp.Packet) {
	ssrc := p.videoSSRC
	for _, pkt := range pkts {
		switch pk := pkt.(type) {
		case *rtcp.PictureLossIndication:
			p.c.plis.Add(1)
			p.requestKeyframe()
		case *rtcp.FullIntraRequest:
			p.c.firs.Add(1)
			p.requestKeyframe()
		case *rtcp.TransportLayerNack:
			// The NACK interceptor below has already resent what it could.
			p.c.nacks.Add(1)
			for _, pair := range pk.Nacks {
				p.c.nackedPackets.Add(uint64(len(pair.PacketList())))
			}
		case *rtcp.TransportLayerCC:
			// GCC below has just taken this feedback in.
			now := time.Now()
			p.acked.feedback(now, pk)
			p.updateRate(now)
		case *rtcp.ReceiverReport:
			p.receptionReports(pk.Reports, ssrc)
		case *rtcp.SenderReport:
			p.receptionReports(pk.Reports, ssrc)
		}
	}
}

// receptionReports takes RTT and loss from the player's report about the
// video SSRC.
func (p *Peer) receptionReports(reports []rtcp.ReceptionReport, ssrc uint32) {
	for _, r := range reports {
		if r.SSRC != ssrc {
			continue
		}
		p.c.receiverReports.Add(1)
		p.c.lostQ8.Store(uint32(r.FractionLost))
		now := time.Now()
		if rtt, ok := reportRTT(now, r.LastSenderReport, r.Delay); ok {
			p.c.rtt.Store(int64(rtt))
		}
		p.updateFEC(now)
	}
}

// reportRTT computes the round trip from a reception report (RFC 3550
// 6.4.1): now minus the time our sender report left (LSR) minus how long
// the player held it (DLSR), all in the middle 32 bits of NTP time. No
// sender report seen yet (LSR 0) gives no RTT.
func reportRTT(now time.Time, lsr, dlsr uint32) (time.Duration, bool) {
	if lsr == 0 {
		return 0, false
	}
	rtt := ntpMiddle(now) - lsr - dlsr
	if rtt >= 1<<31 { // negative: clocks or report inconsistent
		return 0, false
	}
	return time.Duration(rtt) * time.Second / (1 << 16), true
}

// ntpMiddle is the middle 32 bits of the 64-bit NTP timestamp of t: 16 bits
// of seconds since 1900 and 16 bits of fraction.
func ntpMiddle(t time.Time) uint32 {
	const unixToNTP = 2_208_988_800
	secs := uint64(t.Unix() + unixToNTP)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return uint32(secs<<16 | frac>>16)
}
