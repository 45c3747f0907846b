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
// with consecutive sequence numbers from base (at most flexfecMaxBatch),
// each repair packet covering the packets fecCover gives it.
func (e *flexfecEncoder) encode(batch [][]byte, base uint16, ts uint32, n int) []rtp.Packet {
	n = min(n, len(batch))
	if n <= 0 || len(batch) > flexfecMaxBatch {
		return nil
	}
	out := make([]rtp.Packet, 0, n)
	for _, covered := range fecCover(len(batch), n) {
		long := covered[len(covered)-1] >= 15 // the mask needs its second part
		hdrLen := 20
		if long {
			hdrLen = 24
		}
		var body int
		for _, i := range covered {
			body = max(body, len(batch[i])-12)
		}
		p := make([]byte, hdrLen+body)
		var mask uint64 // bit 45-i set for packet i, in 46 bits
		for _, i := range covered {
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

// fecCover says which of size media packets each of n repair packets
// covers (n ≤ size), in ascending order.
//
// Each media packet gets its own set of repair packets while sets last:
// pairs first (in round-robin order, so that neighbours share none), then
// triples, then single repair packets. Chromium's receiver rebuilds a
// packet from any repair packet that misses only it, and again with what
// it rebuilt, so two lost packets with different sets always come back:
// one of them is in a repair packet the other is not. Packets in one
// interleaved group each, the simpler layout, fail on any two losses in a
// group; at 3 % random loss a frame of 28 packets with 4 repair packets is
// then lost whole about three times as often (TestFECCoverRecovers).
func fecCover(size, n int) [][]int {
	cover := make([][]int, n)
	sets := repairSets(n, size)
	for i := range size {
		for _, j := range sets[i%len(sets)] {
			cover[j] = append(cover[j], i)
		}
	}
	return cover
}

// repairSets lists at most size sets of repair packets out of n, in the
// order fecCover hands them out. With a repair packet per media packet
// each gets its own.
func repairSets(n, size int) [][]int {
	var sets [][]int
	if n > 1 && n < size {
		for _, p := range roundRobin(n) {
			sets = append(sets, []int{p[0], p[1]})
		}
		for a := range n {
			for b := a + 1; b < n; b++ {
				for c := b + 1; c < n && len(sets) < size; c++ {
					sets = append(sets, []int{a, b, c})
				}
			}
		}
	}
	for j := range n {
		sets = append(sets, []int{j})
	}
	return sets[:min(len(sets), size)]
}

// roundRobin lists every pair of 0..n-1 once, in rounds of pairs that
// share no member (the circle method of a round-robin tournament).
func roundRobin(n int) [][2]int {
	m := n + n%2 // an odd n gets a bye, the member m-1
	pairs := make([][2]int, 0, n*(n-1)/2)
	for r := range m - 1 {
		if m-1 < n {
			pairs = append(pairs, [2]int{r, m - 1})
		}
		for k := 1; k < m/2; k++ {
			a, b := (r+k)%(m-1), (r-k+m-1)%(m-1)
			pairs = append(pairs, [2]int{min(a, b), max(a, b)})
		}
	}
	return pairs
}
