package stream

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// flexfecMask reads the packets a repair packet covers, as offsets from
// its SN base, and the length of its FEC header.
func flexfecMask(t *testing.T, fec []byte) (covered []int, hdrLen int) {
	t.Helper()
	hdrLen = 20
	m0 := binary.BigEndian.Uint16(fec[18:])
	for i := range 15 {
		if m0&(1<<(14-i)) != 0 {
			covered = append(covered, i)
		}
	}
	if m0&0x8000 == 0 {
		hdrLen = 24
		m1 := binary.BigEndian.Uint32(fec[20:])
		if m1&(1<<31) == 0 {
			t.Fatalf("second mask part without its K-bit")
		}
		for i := range 31 {
			if m1&(1<<(30-i)) != 0 {
				covered = append(covered, 15+i)
			}
		}
	}
	return covered, hdrLen
}

// recoverFlexFEC rebuilds the one packet of fec's mask missing from have
// (keyed by sequence number), reading the header as a receiver does.
func recoverFlexFEC(t *testing.T, fec []byte, have map[uint16][]byte) (uint16, []byte) {
	t.Helper()
	if fec[0]&0xc0 != 0 || fec[8] != 1 {
		t.Fatalf("R/F bits or SSRC count wrong: % x", fec[:12])
	}
	base := binary.BigEndian.Uint16(fec[16:])
	covered, hdrLen := flexfecMask(t, fec)
	var lost = -1
	hdr := append([]byte(nil), fec[:8]...)
	body := append([]byte(nil), fec[hdrLen:]...)
	for _, i := range covered {
		p, ok := have[base+uint16(i)]
		if !ok {
			if lost >= 0 {
				t.Fatalf("two packets of one mask missing")
			}
			lost = i
			continue
		}
		hdr[0] ^= p[0]
		hdr[1] ^= p[1]
		l := uint16(len(p) - 12)
		hdr[2] ^= byte(l >> 8)
		hdr[3] ^= byte(l)
		for k := 4; k < 8; k++ {
			hdr[k] ^= p[k]
		}
		for k, b := range p[12:] {
			body[k] ^= b
		}
	}
	if lost < 0 {
		t.Fatalf("nothing missing")
	}
	seq := base + uint16(lost)
	n := int(binary.BigEndian.Uint16(hdr[2:]))
	out := make([]byte, 12, 12+n)
	out[0] = 0x80 | hdr[0]&0x3f
	out[1] = hdr[1]
	binary.BigEndian.PutUint16(out[2:], seq)
	copy(out[4:8], hdr[4:8])
	copy(out[8:12], fec[12:16])
	return seq, append(out, body[:n]...)
}

// TestFlexFECRecovers rebuilds every packet of batches of every mask size
// from the others and each repair packet covering it.
func TestFlexFECRecovers(t *testing.T) {
	for _, size := range []int{1, 2, 7, 15, 16, 31, 46} {
		for _, n := range []int{1, 2, 3, 4, 5, 8} {
			t.Run(fmt.Sprintf("%d packets, %d repair", size, n), func(t *testing.T) {
				const media = 0x11223344
				batch := make([][]byte, size)
				have := map[uint16][]byte{}
				base := uint16(65530) // wraps inside the batch
				for i := range batch {
					h := rtp.Header{Version: 2, PayloadType: 102, SequenceNumber: base + uint16(i),
						Timestamp: 9000 * uint32(i/3), SSRC: media, Marker: i%3 == 2}
					if err := h.SetExtension(5, []byte{0, 0, byte(i)}); err != nil {
						t.Fatal(err)
					}
					payload := bytes.Repeat([]byte{byte(i + 1)}, 20+37*i%900)
					raw, err := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
					if err != nil {
						t.Fatal(err)
					}
					batch[i] = raw
					have[h.SequenceNumber] = raw
				}
				enc := flexfecEncoder{pt: 49, ssrc: 7, media: media}
				fec := enc.encode(batch, base, 1234, n)
				if len(fec) != min(n, size) {
					t.Fatalf("%d repair packets, want %d", len(fec), min(n, size))
				}
				covering := make([]int, size)
				for _, f := range fec {
					if f.PayloadType != 49 || f.SSRC != 7 {
						t.Fatalf("repair header %+v", f.Header)
					}
					covered, _ := flexfecMask(t, f.Payload)
					for _, i := range covered {
						covering[i]++
						seq := base + uint16(i)
						want := have[seq]
						delete(have, seq)
						got, rebuilt := recoverFlexFEC(t, f.Payload, have)
						have[seq] = want
						if got != seq || !bytes.Equal(rebuilt, want) {
							t.Fatalf("packet %d: rebuilt seq %d\n% x\nwant\n% x", i, got, rebuilt, want)
						}
					}
				}
				for i, c := range covering {
					if c == 0 {
						t.Fatalf("packet %d is covered by no repair packet", i)
					}
				}
			})
		}
	}
	if (&flexfecEncoder{}).encode(make([][]byte, flexfecMaxBatch+1), 0, 0, 1) != nil {
		t.Error("a batch over flexfecMaxBatch was encoded")
	}
}

func TestFECOverheadFor(t *testing.T) {
	for _, c := range []struct{ loss, want float64 }{
		{0, 0}, {0.004, 0}, {0.005, 0.025}, {0.03, 0.15}, {0.06, 0.3}, {0.5, 0.3},
	} {
		if got := fecOverheadFor(c.loss, 0.005, 0.3); got != c.want {
			t.Errorf("loss %v: overhead %v, want %v", c.loss, got, c.want)
		}
	}
	if got := fecOverheadFor(0.1, 0.005, 0); got != 0 {
		t.Errorf("FEC off: overhead %v", got)
	}
}

// TestFECSenderBatches checks what the FEC sender sends for frames of three
// packets: repair packets only right after a frame's last packet, as many
// as the overhead buys over time, numbered in the transport-wide sequence.
func TestFECSenderBatches(t *testing.T) {
	for _, c := range []struct {
		overhead float64
		min, max int // repair packets for 100 frames of 3 packets
	}{
		{0, 0, 0},
		{0.1, 30, 30}, // 0.3 a frame: one in about three frames
		{0.3, 90, 90}, // 0.9 a frame: a whole one, the surplus owed by the frames after
		{1, 300, 300},
	} {
		t.Run(fmt.Sprint(c.overhead), func(t *testing.T) {
			var (
				oh   fecOverheadQ16
				seq  twccSeq
				cnt  counters
				sent []rtp.Header
			)
			oh.Store(uint32(c.overhead * (1 << 16)))
			info := &interceptor.StreamInfo{SSRC: 1, SSRCForwardErrorCorrection: 2, PayloadTypeForwardErrorCorrection: 49,
				RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01", ID: 3}}}
			var on atomic.Bool
			i, _ := fecFactory{overhead: &oh, on: &on, twcc: &seq, c: &cnt}.NewInterceptor("")
			w := i.BindLocalStream(info, interceptor.RTPWriterFunc(func(h *rtp.Header, p []byte, _ interceptor.Attributes) (int, error) {
				sent = append(sent, *h)
				return len(p), nil
			}))
			for k := range 300 {
				h := &rtp.Header{Version: 2, SSRC: 1, SequenceNumber: uint16(k), Marker: k%3 == 2}
				if err := seq.stamp(h, 3, 0); err != nil {
					t.Fatal(err)
				}
				if _, err := w.Write(h, make([]byte, 100), nil); err != nil {
					t.Fatal(err)
				}
			}
			fec, last := 0, rtp.Header{}
			for _, h := range sent {
				if h.SSRC == 2 {
					fec++
					if last.SSRC == 1 && !last.Marker {
						t.Fatalf("repair packet after packet %d, which ends no frame", last.SequenceNumber)
					}
					if len(h.GetExtension(3)) != 2 {
						t.Fatal("repair packet without a transport-wide number")
					}
				}
				last = h
			}
			if fec < c.min || fec > c.max || cnt.fecPackets.Load() != uint64(fec) {
				t.Errorf("%d repair packets (counted %d), want %d..%d", fec, cnt.fecPackets.Load(), c.min, c.max)
			}
		})
	}
}

// TestFECFollowsLoss sizes FEC on a real peer from the loss its player
// reports, and takes it out of the encoder's bitrate, but only once the
// answer negotiated FlexFEC: a browser without it keeps the whole bitrate.
func TestFECFollowsLoss(t *testing.T) {
	e := testEngine(t, nil)
	var bitrates []int
	p, err := e.NewPeer(PeerConfig{ID: "fec", OnBitrate: func(bps int) { bitrates = append(bitrates, bps) }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := e.cfg.StartBitrate
	now := time.Now()
	p.c.lostQ8.Store(5) // about 2%
	p.updateFEC(now)
	if o := p.Stats().FECOverhead; o != 0 || len(bitrates) != 0 {
		t.Fatalf("FEC not negotiated, yet overhead %v and bitrates %v", o, bitrates)
	}
	p.fecOn.Store(true)
	p.updateFEC(now)
	if o := p.Stats().FECOverhead; o < 0.097 || o > 0.099 {
		t.Fatalf("overhead %v at about 2%% loss, want 0.098", o)
	}
	if len(bitrates) != 1 || bitrates[0] < start*90/100 || bitrates[0] > start*92/100 {
		t.Fatalf("bitrates %v, want about %d / 1.098", bitrates, start)
	}
	p.c.lostQ8.Store(0)
	p.updateFEC(now.Add(e.cfg.FECInterval / 2))
	if o := p.Stats().FECOverhead; o < 0.097 {
		t.Fatal("overhead changed sooner than FECInterval")
	}
	// Without loss the estimate decays: a little after one interval,
	// to nothing within ten (2 % × 0.85^9 is under FECMinLoss).
	var overheads []float64
	for i := 1; i <= 10; i++ {
		p.updateFEC(now.Add(time.Duration(i) * e.cfg.FECInterval))
		overheads = append(overheads, p.Stats().FECOverhead)
	}
	if overheads[0] == 0 || overheads[0] >= 0.097 {
		t.Fatalf("one interval without loss: overhead %v, want a little less", overheads[0])
	}
	if o := overheads[len(overheads)-1]; o != 0 || bitrates[len(bitrates)-1] != start {
		t.Fatalf("ten intervals without loss: overheads %v, bitrates %v", overheads, bitrates)
	}
}
