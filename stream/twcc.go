package stream

import (
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// twccSeq is one peer's transport-wide sequence: every packet sent to the
// player gets the next number, which the player's transport-cc feedback
// refers to. Pion's header-extension interceptor keeps its counter to
// itself; the edge needs its own because FEC packets are made below the
// stamping (they must protect media packets exactly as sent, number
// included) and still need numbers from the same sequence, or GCC refuses
// to send them.
// The sizes of numbered packets go to acked, when set, for the rate the
// feedback acknowledges.
type twccSeq struct {
	next  atomic.Uint32
	acked *ackedRate
}

// stamp sets the next number on h under extension id, for a packet with
// payloadLen bytes of payload.
func (s *twccSeq) stamp(h *rtp.Header, id uint8, payloadLen int) error {
	n := uint16(s.next.Add(1) - 1)
	b, err := (&rtp.TransportCCExtension{TransportSequence: n}).Marshal()
	if err != nil {
		return err
	}
	if err := h.SetExtension(id, b); err != nil {
		return err
	}
	if s.acked != nil {
		s.acked.onSent(n, h.MarshalSize()+payloadLen, time.Now())
	}
	return nil
}

// twccFactory builds the interceptor that numbers every packet of a
// stream that negotiated transport-cc.
type twccFactory struct{ seq *twccSeq }

func (f twccFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &twccStamper{seq: f.seq}, nil
}

type twccStamper struct {
	interceptor.NoOp
	seq *twccSeq
}

func (s *twccStamper) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	id := extensionID(info, sdp.TransportCCURI)
	if id == 0 {
		return w
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if err := s.seq.stamp(h, id, len(payload)); err != nil {
			return 0, err
		}
		return w.Write(h, payload, a)
	})
}
