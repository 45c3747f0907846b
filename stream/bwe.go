package stream

import (
	"log/slog"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
)

// rtxAwareBWE registers a stream's RTX and FEC SSRCs with the estimator as
// well.
// GCC's pacers (the no-op one included) route each packet to the writer
// registered for its SSRC and reject any other, but Pion binds only the
// media SSRC; without this every retransmission sent over RTX would fail
// with "unknown ssrc" below the NACK responder, and every FEC packet below
// the FEC sender.
type rtxAwareBWE struct{ cc.BandwidthEstimator }

func (b rtxAwareBWE) AddStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	out := b.BandwidthEstimator.AddStream(info, w)
	if info.SSRCRetransmission != 0 {
		rtx := *info
		rtx.SSRC = info.SSRCRetransmission
		b.BandwidthEstimator.AddStream(&rtx, w)
	}
	if info.SSRCForwardErrorCorrection != 0 {
		fec := *info
		fec.SSRC = info.SSRCForwardErrorCorrection
		b.BandwidthEstimator.AddStream(&fec, w)
	}
	return out
}

// attachBWE is called by Pion while it builds the PeerConnection, before
// NewPeerConnection returns, so p.bwe is set before anything reads it.
func (p *Peer) attachBWE(est cc.BandwidthEstimator) {
	p.bwe = est
	est.OnTargetBitrateChange(func(int) { p.updateRate(time.Now()) })
}

// standingQueue and standingFor: queueing (ackedRate.queueing) over
// standingQueue in every report for standingFor is taken for congestion
// whatever GCC's detector says. A full drop-tail queue grows no more, so
// the detector reads it as normal while every packet waits in it and the
// overflow is lost. A queue also grows too slowly for the detector's
// trend when the target creeps past the path's rate: 20 to 45 ms over
// half a second read "normal" on a 2 Mbit/s bottleneck. 15 ms is more than
// the jitter of a report's least delay (the least of its packets, not
// one) and keeps a bottleneck's cost to glass-to-glass within the
// players' 80 ms, where 30 ms let every cycle of the rate through as
// frames shown a refresh or two late; 200 ms is longer than a keyframe's
// burst takes to drain through a link of a few Mbit/s.
const (
	standingQueue = 15 * time.Millisecond
	standingFor   = 200 * time.Millisecond
)

// updateRate takes GCC's detector signal and loss after a feedback,
// sets the delay-based rate from them and the acknowledged rate (aimd.go),
// passes it through the loss gate and reports the result. GCC's own
// targets are only logged: its loss side reads random loss as congestion
// (see lossGate) and its delay side falls short on a changing link (see
// aimd).
func (p *Peer) updateRate(now time.Time) {
	defer p.contain("rate update")
	if p.closed.Load() {
		return
	}
	st := p.bwe.GetStats()
	if pion, _ := st["delayTargetBitrate"].(int); pion <= 0 {
		return // no feedback yet: keep the start rate
	}
	loss, _ := st["averageLoss"].(float64)
	usage, _ := st["usage"].(string)
	acked := p.acked.rate()
	queue, standing := p.acked.queueing(now)
	p.rateMu.Lock()
	delay := p.delayRate.update(now, delaySignal{Usage: usage, Standing: standing, Queue: queue, Acked: acked})
	floor := p.delayRate.floor(now, acked)
	p.rateMu.Unlock()
	t := p.gate.update(now, rateSample{Delay: delay, Loss: loss, Overuse: usage == "overuse" || standing, Floor: floor})
	p.target.Store(int64(t))
	p.rateTrace.log(p.log, slog.LevelDebug, "rate",
		"target", t, "delay", delay, "acked", acked.Rate, "busy", acked.Busy, "train", acked.Train, "keptUp", acked.KeptUp,
		"queueMs", queue.Milliseconds(), "standing", standing,
		"gccDelay", st["delayTargetBitrate"], "gccLoss", st["lossTargetBitrate"], "gate", p.gate.current(),
		"loss", loss, "usage", usage, "delayEstimateMs", st["delayEstimate"])
	p.bitrateChanged()
}

// bitrateChanged reports the encoder's share of the rate target to OnBitrate:
// the target less what FEC adds on top, so media and FEC together stay
// within the estimate. GCC calls it on a new
// goroutine per change, so calls can arrive out of order: the argument is
// ignored and the current target read instead, and a value
// equal to the last one reported is not repeated.
func (p *Peer) bitrateChanged() {
	defer p.contain("bitrate change")
	if p.closed.Load() {
		return
	}
	p.bitrateMu.Lock()
	defer p.bitrateMu.Unlock()
	bps := p.mediaBitrate(p.clampBitrate(int(p.target.Load())))
	if bps == p.lastBitrate {
		return
	}
	p.lastBitrate = bps
	if p.cfg.OnBitrate != nil {
		p.cfg.OnBitrate(bps)
	}
}

func (p *Peer) clampBitrate(bps int) int {
	return min(max(bps, p.eng.cfg.MinBitrate), p.eng.cfg.MaxBitrate)
}
