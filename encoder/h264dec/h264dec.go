//go:build cgo

package h264dec

/*
#cgo pkg-config: libavcodec libavutil
#include "shim.h"
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"unsafe"

	"stratus/encoder"
)

// maxThreads bounds Config.Threads: beyond this libavcodec gains nothing
// on the sizes Stratus streams, and a typo should not start hundreds.
const maxThreads = 16

// Available reports whether this build can decode. libavcodec is linked,
// not loaded, so a cgo build always can.
func Available() bool { return true }

// Decoder decodes one H.264 stream. It is not safe for concurrent use: a
// stream's access units must be decoded in order anyway.
type Decoder struct {
	st  *C.shd_state
	pic C.shd_picture
	// bufs are the pictures handed out by the last Decode, reused by the
	// next; frames is the slice returned, reused likewise.
	bufs   []*encoder.I420
	frames []Frame
	// damaged is set from a failed or concealed access unit until the next
	// clean keyframe: the pictures between reference the damage.
	damaged bool
}

// New opens a decoder.
func New(cfg Config) (*Decoder, error) {
	threads := cfg.Threads
	if threads < 0 || threads > maxThreads {
		return nil, fmt.Errorf("h264dec: threads %d: must be 0..%d", threads, maxThreads)
	}
	if threads == 0 {
		threads = 1
	}
	d := &Decoder{st: C.shd_new()}
	if d.st == nil {
		return nil, errors.New("h264dec: out of memory")
	}
	rc := C.shd_open(d.st, C.int(threads), C.int64_t(MaxWidth*MaxHeight))
	if rc != C.SHD_OK {
		d.Close()
		switch rc {
		case C.SHD_ERR_NOCODEC:
			return nil, fmt.Errorf("h264dec: libavcodec has no H.264 decoder: %w", encoder.ErrUnavailable)
		case C.SHD_ERR_NOMEM:
			return nil, errors.New("h264dec: out of memory")
		default:
			return nil, fmt.Errorf("h264dec: open: %s", averror(rc))
		}
	}
	return d, nil
}

// Decode decodes one Annex-B access unit, as the edge's encoder emits it
// and as Pion's H264Packet depacketizer yields it (every NAL unit behind a
// start code), and returns the pictures it completes.
//
// A Stratus stream gives exactly one frame per access unit. Parameter
// sets sent on their own are not an access unit (H.264 puts a picture in
// every one): libavcodec keeps them, so the IDR after them decodes, but
// fails the call with ErrInvalidData. The frames returned, and their
// planes, are valid until the next Decode; see Frame.
//
// Errors wrap ErrInvalidData, ErrTooLarge or ErrClosed, and the decoder
// stays usable after any but ErrClosed. Corrupt data either fails whole
// (no frames; so do access units of a stream joined after its IDR, whose
// parameter sets the decoder has not seen) or is decoded by concealing the
// damage: then Decode returns the concealed frame, marked Corrupt, together
// with the error, since a browser would have shown that picture and
// whether it counts is the caller's decision.
//
// After either, every picture until the next keyframe references damaged
// ones; libavcodec decodes them without complaint, and the decoder marks
// them Corrupt. An access unit lost before Decode is invisible to it: the
// caller, which sees the gap in RTP sequence numbers, has to know.
func (d *Decoder) Decode(au []byte) ([]Frame, error) {
	if d.st == nil {
		return nil, fmt.Errorf("h264dec: %w", ErrClosed)
	}
	if len(au) > MaxAccessUnit {
		d.damaged = true
		return nil, fmt.Errorf("h264dec: access unit of %d bytes, limit %d: %w", len(au), MaxAccessUnit, ErrTooLarge)
	}
	// Without a start code libavcodec would read length-prefixed (AVC)
	// data as garbage; say what is wrong instead.
	if !bytes.HasPrefix(au, []byte{0, 0, 1}) && !bytes.HasPrefix(au, []byte{0, 0, 0, 1}) {
		d.damaged = true
		return nil, fmt.Errorf("h264dec: access unit does not begin with an Annex-B start code (% x): %w",
			au[:min(len(au), 8)], ErrInvalidData)
	}
	if rc := C.shd_send(d.st, (*C.uint8_t)(unsafe.Pointer(&au[0])), C.int(len(au))); rc < 0 {
		// Drain anyway: a picture completed before the error is better
		// dropped now than handed out with the next access unit's.
		d.drain()
		d.damaged = true
		return nil, d.decodeError(rc)
	}
	d.frames = d.frames[:0]
	concealed := false
	for {
		rc := C.shd_receive(d.st, &d.pic)
		if rc == 0 {
			break
		}
		if rc < 0 {
			d.drain()
			d.damaged = true
			return nil, d.decodeError(rc)
		}
		f, err := d.frame(len(d.frames))
		if err != nil {
			d.drain()
			d.damaged = true
			return nil, err
		}
		switch {
		case f.Corrupt:
			concealed = true
			d.damaged = true
		case f.Keyframe:
			d.damaged = false
		case d.damaged:
			f.Corrupt = true
		}
		d.frames = append(d.frames, f)
	}
	if concealed {
		return d.frames, fmt.Errorf("h264dec: decoded only by concealing errors: %w", ErrInvalidData)
	}
	return d.frames, nil
}

// drain discards output left in the decoder after an error.
func (d *Decoder) drain() {
	for C.shd_receive(d.st, &d.pic) > 0 {
	}
}

func (d *Decoder) decodeError(rc C.int) error {
	return fmt.Errorf("h264dec: decode: %s: %w", averror(rc), ErrInvalidData)
}

// frame copies the picture in d.pic into buffer i.
func (d *Decoder) frame(i int) (Frame, error) {
	p := &d.pic
	w, h := int(p.width), int(p.height)
	if w <= 0 || h <= 0 || w > MaxWidth || h > MaxHeight {
		return Frame{}, fmt.Errorf("h264dec: picture %dx%d, limit %dx%d: %w", w, h, MaxWidth, MaxHeight, ErrTooLarge)
	}
	if p.format == C.SHD_FMT_OTHER {
		return Frame{}, fmt.Errorf("h264dec: pixel format %s is not 8-bit 4:2:0 (a profile Stratus does not send): %w",
			C.GoString(C.shd_format_name(d.st)), ErrInvalidData)
	}
	cw, ch := (w+1)/2, (h+1)/2
	for k, pw := range []int{w, cw, cw} {
		if int(p.stride[k]) < pw || p.plane[k] == nil {
			return Frame{}, fmt.Errorf("h264dec: libavcodec gave plane %d with stride %d for width %d: %w", k, p.stride[k], pw, ErrInvalidData)
		}
	}
	if i == len(d.bufs) {
		d.bufs = append(d.bufs, nil)
	}
	if b := d.bufs[i]; b == nil || b.Width != w || b.Height != h {
		d.bufs[i] = encoder.NewI420(w, h)
	}
	pic := d.bufs[i]
	for k, dst := range [][]byte{pic.Y, pic.U, pic.V} {
		pw, ph := w, h
		if k > 0 {
			pw, ph = cw, ch
		}
		stride := int(p.stride[k])
		// The AVFrame's plane is C memory, valid until the next receive;
		// the copy is what makes the frame outlive that.
		src := unsafe.Slice((*byte)(unsafe.Pointer(p.plane[k])), stride*(ph-1)+pw)
		copyPlane(dst, pw, src, stride, pw, ph)
	}
	return Frame{
		I420:      *pic,
		Keyframe:  p.keyframe != 0,
		Corrupt:   p.corrupt != 0,
		FullRange: p.format == C.SHD_FMT_I420_FULL,
	}, nil
}

// Close releases the decoder. It is safe to call twice; frames already
// returned stay readable.
func (d *Decoder) Close() error {
	if d.st == nil {
		return nil
	}
	C.shd_close(d.st)
	d.st = nil
	return nil
}

func averror(rc C.int) string {
	var buf [128]C.char
	C.shd_strerror(rc, &buf[0], C.int(len(buf)))
	return fmt.Sprintf("%s (%d)", C.GoString(&buf[0]), int(rc))
}
