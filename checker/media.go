package checker

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"stratus/encoder/h264dec"
	"stratus/input"
	"stratus/title/testpattern"
)

// frame is one decoded picture as the probe read it.
type frame struct {
	at       time.Time // decoded, on the probe's clock
	renderMs uint32    // the barcode: render time, edge clock, mod 2^32
	inputs   uint32    // the barcode: the edge's input counter
	// corrupt: decoded from damaged data (loss), so its barcode may lie.
	corrupt bool
}

// newPeer is a page's PeerConnection: one recvonly video transceiver, the
// "input" and "motion" channels, and the default interceptors (NACK, RTCP
// reports, statistics) a browser would run too.
func newPeer() (*webrtc.PeerConnection, *webrtc.DataChannel, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, nil, err
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, nil, err
	}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		pc.Close()
		return nil, nil, err
	}
	ordered := true
	in, err := pc.CreateDataChannel("input", &webrtc.DataChannelInit{Ordered: &ordered})
	if err != nil {
		pc.Close()
		return nil, nil, err
	}
	unordered, none := false, uint16(0)
	if _, err := pc.CreateDataChannel("motion", &webrtc.DataChannelInit{Ordered: &unordered, MaxRetransmits: &none}); err != nil {
		pc.Close()
		return nil, nil, err
	}
	return pc, in, nil
}

// maxLate is how many packets the sample builder waits for a missing one
// (a NACK's retransmission) before giving its frame up: about a frame and
// a half of 720p video.
const maxLate = 128

// receive reads the video track until it ends, decoding each access unit
// and sending what it read of each picture to frames. Pictures after lost
// packets are marked corrupt until the next keyframe, which it asks for
// with pli, as a browser does. It returns the number of access units the
// decoder refused. It runs on the goroutine Pion gives OnTrack, which ends
// when the PeerConnection closes.
func receive(tr *webrtc.TrackRemote, dec *h264dec.Decoder, frames chan<- frame, pli func()) (errs int) {
	sb := samplebuilder.New(maxLate, &codecs.H264Packet{}, tr.Codec().ClockRate)
	damaged := false
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return errs
		}
		sb.Push(pkt)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			if s.PrevDroppedPackets > 0 && !damaged {
				damaged = true
				pli()
			}
			pics, err := dec.Decode(s.Data)
			if err != nil {
				// A concealed picture still comes, marked Corrupt.
				errs++
			}
			now := time.Now()
			for _, p := range pics {
				if p.Keyframe && !p.Corrupt {
					damaged = false
				}
				ms, n := testpattern.DecodeLuma(p.Y, p.StrideY)
				select {
				case frames <- frame{at: now, renderMs: ms, inputs: n, corrupt: p.Corrupt || damaged}:
				default:
					// The probe reads faster than any edge sends; a full
					// channel means it has stopped listening.
				}
			}
		}
	}
}

// clock estimates the edge's clock offset (edge minus probe, in ms) from
// replies to input.KindClock, keeping the sample with the shortest round
// trip, whose midpoint is the most exact (as NTP does).
type clock struct {
	mu     sync.Mutex
	offset float64
	rtt    float64 // math.Inf(1) until a reply came
}

func newClock() *clock { return &clock{rtt: math.Inf(1)} }

// reply takes one answer; b that is no clock reply is ignored.
func (c *clock) reply(b []byte, now time.Time) {
	_, sent, edge, ok := input.ParseClockReply(b)
	if !ok {
		return
	}
	got := msOf(now)
	rtt := got - sent
	c.mu.Lock()
	defer c.mu.Unlock()
	if rtt >= 0 && rtt < c.rtt {
		c.rtt, c.offset = rtt, edge-(sent+got)/2
	}
}

func (c *clock) get() (offset, rtt float64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset, c.rtt, !math.IsInf(c.rtt, 1)
}

func msOf(t time.Time) float64 { return float64(t.UnixNano()) / 1e6 }

// renderTime puts a barcode's render time (edge clock, mod 2^32 ms) on the
// probe's clock: the full edge time is the one nearest the edge's clock
// now, then less the offset.
func renderTime(renderMs uint32, at time.Time, offset float64) float64 {
	edgeNow := int64(msOf(at) + offset)
	full := edgeNow&^0xFFFFFFFF | int64(renderMs)
	switch {
	case full-edgeNow > 1<<31:
		full -= 1 << 32
	case edgeNow-full > 1<<31:
		full += 1 << 32
	}
	return float64(full) - offset
}

// sendClock asks the edge for its time.
func sendClock(dc *webrtc.DataChannel, id uint32) error {
	return dc.Send(input.Append(nil, input.Event{Kind: input.KindClock, PingID: id, ClientMs: msOf(time.Now())}))
}

// sendKey presses and releases Space: two events for the edge's counter.
func sendKey(dc *webrtc.DataChannel) error {
	msg := input.Append(nil, input.Event{Kind: input.KindKeyDown, Code: 32})
	msg = input.Append(msg, input.Event{Kind: input.KindKeyUp, Code: 32})
	if err := dc.Send(msg); err != nil {
		return fmt.Errorf("checker: sending input: %w", err)
	}
	return nil
}
