package stream

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// fecOverheadQ16 is the FEC overhead shared by the interceptor and the
// policy that sets it: FEC packets per media packet, in 1/65536.
type fecOverheadQ16 = atomic.Uint32

// fecFactory builds the FlexFEC sender. Pion's own flexfec interceptor
// sends a fixed number of FEC packets per fixed number of media packets and
// can hold the end of a frame until later packets arrive; this one protects
// each frame as soon as its last packet (marker bit) is written, with as
// many FEC packets as the current overhead buys, so a lost packet can be
// rebuilt before the frame is due.
//
// It sits below the transport-cc numbering: Chromium rebuilds a lost packet
// by XOR with the packets it did receive, header extensions included (with
// the transport-wide number zeroed), so FEC must be computed over the
// packets as they leave. FEC made over packets without the extension
// rebuilt garbage (Chromium logged "Failed to parse payload"). FEC packets
// take their own numbers from the same sequence, because GCC below refuses
// unnumbered packets.
type fecFactory struct {
	overhead *fecOverheadQ16
	on       *atomic.Bool // set once a stream negotiated FlexFEC
	twcc     *twccSeq
	c        *counters
}

func (f fecFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &fecSender{fecFactory: f}, nil
}

type fecSender struct {
	interceptor.NoOp
	fecFactory
}

// BindLocalStream protects the media SSRC of a stream whose answer
// negotiated FlexFEC; others pass through untouched. The returned writer is
// called by the track's goroutine and by the NACK responder's; a mutex
// orders them.
func (s *fecSender) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	if info.PayloadTypeForwardErrorCorrection == 0 || info.SSRCForwardErrorCorrection == 0 {
		return w
	}
	s.on.Store(true)
	st := &fecStream{
		ssrc: info.SSRC,
		enc: flexfecEncoder{
			pt:    info.PayloadTypeForwardErrorCorrection,
			ssrc:  info.SSRCForwardErrorCorrection,
			media: info.SSRC,
		},
		overhead: s.overhead,
		twcc:     s.twcc,
		twccID:   extensionID(info, sdp.TransportCCURI),
		c:        s.c,
		next:     w,
	}
	return interceptor.RTPWriterFunc(st.write)
}

type fecStream struct {
	ssrc     uint32
	enc      flexfecEncoder
	overhead *fecOverheadQ16
	twcc     *twccSeq
	twccID   uint8 // 0 when transport-cc was not negotiated
	c        *counters
	next     interceptor.RTPWriter

	mu      sync.Mutex
	started bool
	newest  uint16
	batch   [][]byte // marshalled, from sequence number base
	base    uint16
	credit  float64 // FEC packets owed to the media packets in batch; negative: sent ahead
}

func (s *fecStream) write(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
	if h.SSRC != s.ssrc {
		return s.next.Write(h, payload, a)
	}
	s.mu.Lock()
	fec := s.protect(h, payload)
	s.mu.Unlock()
	n, err := s.next.Write(h, payload, a)
	// FEC packets follow the last media packet they protect, so a receiver
	// can use them as soon as it sees the gap.
	for i := range fec {
		if s.twccID != 0 && s.twcc.stamp(&fec[i].Header, s.twccID, len(fec[i].Payload)) != nil {
			continue
		}
		if m, ferr := s.next.Write(&fec[i].Header, fec[i].Payload, a); ferr == nil {
			s.c.fecPackets.Add(1)
			s.c.fecBytes.Add(uint64(m))
		}
	}
	return n, err
}

// protect adds an original media packet to the batch and returns the FEC
// packets due: at the end of a frame once the batch has earned at least
// half of one, or when the batch is full. Retransmissions without RTX reuse an old
// sequence number and are left out, because a batch must be consecutive.
func (s *fecStream) protect(h *rtp.Header, payload []byte) []rtp.Packet {
	if s.started && !seqNewer(h.SequenceNumber, s.newest) {
		return nil
	}
	if s.started && h.SequenceNumber != s.newest+1 {
		s.batch, s.credit = s.batch[:0], 0 // a gap: start over
	}
	s.started, s.newest = true, h.SequenceNumber
	overhead := float64(s.overhead.Load()) / (1 << 16)
	if overhead == 0 {
		s.batch, s.credit = s.batch[:0], 0
		return nil
	}
	hdr := *h
	hdr.Extensions = append([]rtp.Extension(nil), h.Extensions...)
	if n := len(h.GetExtension(s.twccID)); s.twccID != 0 && n > 0 {
		// Chromium zeroes the transport-wide number (a "mutable"
		// extension, filled in when a packet leaves) in every packet
		// before it XORs, so FEC must be made over a zero there too.
		// SetExtension replaces the element in the copied slice only.
		if err := hdr.SetExtension(s.twccID, make([]byte, n)); err != nil {
			return nil
		}
	}
	raw, err := (&rtp.Packet{Header: hdr, Payload: payload}).Marshal()
	if err != nil || len(raw) < 12 {
		s.batch, s.credit = s.batch[:0], 0
		return nil
	}
	if len(s.batch) == 0 {
		s.base = h.SequenceNumber
	}
	s.batch = append(s.batch, raw)
	s.credit += overhead
	// A frame that has earned half a repair packet gets a whole one: a
	// loss it cannot rebuild costs a NACK round trip, in which the frames
	// after it wait and are then dropped (at 3 % loss and 40 ms, a repair
	// packet per two frames of nine packets left Chromium presenting
	// 42-48 fps). What it got beyond its share is owed by the frames after
	// it, so that the overhead stays the policy's: forgiven, small frames
	// (three packets at 2 Mbit/s) each took a whole one, and FEC took a
	// third of a thin link the encoder had been told was its own.
	if len(s.batch) < flexfecMaxBatch && (!h.Marker || s.credit < 0.5) {
		return nil
	}
	n := min(max(int(math.Round(s.credit)), 1), len(s.batch))
	fec := s.enc.encode(s.batch, s.base, h.Timestamp, n)
	s.credit = max(s.credit-float64(n), -1)
	s.batch = s.batch[:0]
	return fec
}

// fecOverheadFor is the overhead rule: FEC packets per media packet for a
// measured loss share. Below minLoss NACK alone repairs loss cheaply; above
// it, fecLossFactor times the loss, capped because past the cap the loss
// is congestion that FEC would only feed.
func fecOverheadFor(loss, minLoss, maxOverhead float64) float64 {
	if loss < minLoss || maxOverhead <= 0 {
		return 0
	}
	return min(fecLossFactor*loss, maxOverhead)
}

// fecLossFactor: a frame of nine packets (Rocks at 720p60 and 5 Mbit/s)
// at 3 % loss gets one or two repair packets (15 %) and is lost whole in
// about 2 % of frames, where one repair packet per two frames (twice the
// loss, the earlier rule) left Chromium presenting 42-48 fps against 54-56
// with a fixed 20 %.
const fecLossFactor = 5

// fecLossDecay is how much of the loss estimate remains after one
// FECInterval without loss. Receiver reports count the loss of one second
// (0.4 to 4.7 % each at a steady 3 %), and an estimate that followed every
// report sent no FEC at all in the seconds that happened to lose little.
const fecLossDecay = 0.85

// updateFEC resizes FEC to the loss measured now: the larger of the
// player's receiver report (loss before any repair, on the media SSRC) and
// GCC's transport-cc loss (every packet, FEC and retransmissions included),
// held against the estimate so far decayed by fecLossDecay. It runs at
// most once per FECInterval and reports a changed media bitrate, because
// the FEC share is taken out of the encoder's target.
func (p *Peer) updateFEC(now time.Time) {
	cfg := p.eng.cfg
	if cfg.FECMaxOverhead <= 0 || !p.fecOn.Load() {
		return // a browser that did not take FlexFEC gets the whole bitrate
	}
	p.fecMu.Lock()
	if !p.fecAt.IsZero() && now.Sub(p.fecAt) < cfg.FECInterval {
		p.fecMu.Unlock()
		return
	}
	p.fecAt = now
	loss := float64(p.c.lostQ8.Load()) / 256
	if l, ok := p.bwe.GetStats()["averageLoss"].(float64); ok {
		loss = max(loss, l)
	}
	if p.gate.congested(now) {
		// Loss behind a growing queue is the queue's overflow: the rate
		// control answers it, and FEC would only add to the queue.
		loss = 0
	}
	p.fecLoss = max(loss, p.fecLoss*fecLossDecay)
	loss = p.fecLoss
	q := uint32(math.Round(fecOverheadFor(loss, cfg.FECMinLoss, cfg.FECMaxOverhead) * (1 << 16)))
	changed := p.fecOverhead.Swap(q) != q
	p.fecMu.Unlock()
	if changed {
		p.log.Debug("fec overhead", "loss", loss, "overhead", float64(q)/(1<<16))
		p.bitrateChanged()
	}
}

// mediaBitrate is the share of a total bitrate left to the encoder when
// FEC adds the current overhead on top.
func (p *Peer) mediaBitrate(total int) int {
	o := float64(p.fecOverhead.Load()) / (1 << 16)
	return int(float64(total) / (1 + o))
}
