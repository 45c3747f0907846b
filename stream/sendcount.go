package stream

import (
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// sendCounterFactory builds the innermost interceptor, which counts what
// actually leaves for the player. It tells retransmissions apart from new
// packets: on the RTX SSRC when RTX was negotiated, otherwise by a sequence
// number that is not newer than the newest already sent.
type sendCounterFactory struct{ c *counters }

func (f sendCounterFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &sendCounter{c: f.c}, nil
}

type sendCounter struct {
	interceptor.NoOp
	c *counters
}

func (s *sendCounter) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	rtxSSRC, fecSSRC := info.SSRCRetransmission, info.SSRCForwardErrorCorrection
	// The track writes from the video goroutine, the NACK responder from
	// goroutines of its own.
	var (
		mu      sync.Mutex
		started bool
		newest  uint16
	)
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		resent := rtxSSRC != 0 && h.SSRC == rtxSSRC
		// FEC packets have their own sequence numbers; the FEC sender
		// counts them.
		if !resent && (fecSSRC == 0 || h.SSRC != fecSSRC) {
			mu.Lock()
			if started && !seqNewer(h.SequenceNumber, newest) {
				resent = true
			} else {
				started, newest = true, h.SequenceNumber
			}
			mu.Unlock()
		}
		n, err := w.Write(h, payload, a)
		if err == nil {
			s.c.packetsSent.Add(1)
			s.c.bytesSent.Add(uint64(n))
			if resent {
				s.c.retransmits.Add(1)
			}
		}
		return n, err
	})
}

// seqNewer reports whether RTP sequence number a is newer than b, with
// wrap-around.
func seqNewer(a, b uint16) bool { return a != b && int16(a-b) > 0 }
