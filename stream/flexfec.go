package stream

import (
	"encoding/binary"

	"github.com/pion/rtp"
)

// flexfecMaxBatch is the most media packets one FEC packet may protect.
// Chromium's decoder reuses ULPFEC's masks of up to 48 packets; 46 is what
// the two shorter FlexFEC masks (15 + 31 bits) hold.
const flexfecMaxBatch = 46

// flexfecEncoder writes FlexFEC repair packets in the layout of
// draft-ietf-payload-flexible-fec-scheme-03 (flexible mask, one protected
// stream), which Chromium 156 reads for the SDP codec "flexfec-03" (its log
// names the reader flexfec_03_header_reader_writer).
//
// Layout, after the FEC packet's own RTP header:
//
//	0      R=0 F=0, then P X CC of the XOR of the protected packets
//	1      M and PT recovery
//	2..3   length recovery: XOR of (packet length - 12)
//	4..7   TS recovery
//	8      SSRC count, 1
//	9..11  reserved, 0
//	12..15 the protected media SSRC
//	16..17 SN base: sequence number of the batch's first packet
//	18..19 K=1 (last mask part) and a 15-bit mask, packets 0..14, or
//	18..23 K=0, 15 bits, K=1, 31 bits (packets 15..45)
//	then   the XOR of every protected packet past its first 12 bytes
//	       (CSRCs, extensions, payload), zero-padded to the longest
//
// Not safe for concurrent use; the FEC sender's mutex orders calls.
type flexfecEncoder struct {
	pt    uint8
	ssrc  uint32 // the FEC stream's
	media uint32 // the protected stream's
	seq   uint16
}

// encode returns n repair packets for batch, the marshalled media packets
// with consecutive sequence numbers from base (at most flexfecMaxBatch).
// Packet i is protected by repair packet i mod n, so losses next to each
// other (the common burst) fall to different repair packets.
func (e *flexfecEncoder) encode(batch [][]byte, base uint16, ts uint32, n int) []rtp.Packet {
	n = min(n, len(batch))
	if n <= 0 || len(batch) > flexfecMaxBatch {
		return nil
	}
	out := make([]rtp.Packet, 0, n)
	for j := range n {
		lastCovered := j + (len(batch)-1-j)/n*n
		long := lastCovered >= 15 // the mask needs its second part
		hdrLen := 20
		if long {
			hdrLen = 24
		}
		var body int
		for i := j; i < len(batch); i += n {
			body = max(body, len(batch[i])-12)
		}
		p := make([]byte, hdrLen+body)
		var mask uint64 // bit 45-i set for packet i, in 46 bits
		for i := j; i < len(batch); i += n {
			m := batch[i]
			p[0] ^= m[0]
			p[1] ^= m[1]
			l := uint16(len(m) - 12)
			p[2] ^= byte(l >> 8)
			p[3] ^= byte(l)
			for k := 4; k < 8; k++ {
				p[k] ^= m[k]
			}
			for k, b := range m[12:] {
				p[hdrLen+k] ^= b
			}
			mask |= 1 << (45 - i)
		}
		p[0] &^= 0xc0 // R = F = 0: a repair packet with a flexible mask
		p[8] = 1
		binary.BigEndian.PutUint32(p[12:], e.media)
		binary.BigEndian.PutUint16(p[16:], base)
		part0 := uint16(mask >> 31) // packets 0..14
		if long {
			binary.BigEndian.PutUint16(p[18:], part0)
			binary.BigEndian.PutUint32(p[20:], 1<<31|uint32(mask&(1<<31-1)))
		} else {
			binary.BigEndian.PutUint16(p[18:], 0x8000|part0)
		}
		out = append(out, rtp.Packet{
			Header: rtp.Header{
				Version:        2,
				PayloadType:    e.pt,
				SequenceNumber: e.seq,
				Timestamp:      ts,
				SSRC:           e.ssrc,
			},
			Payload: p,
		})
		e.seq++
	}
	return out
}
