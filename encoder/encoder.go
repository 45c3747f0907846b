// Package encoder defines the video encoder interface that sessions use, and
// the picture format it takes. Implementations live in leaf packages
// (encoder/x264, encoder/nvenc) that hold all the cgo; each builds without
// its C library too, as a stub that reports ErrUnavailable.
package encoder

import (
	"errors"
	"fmt"
)

// ErrUnavailable is returned by an encoder whose library or hardware is not
// present on this machine (built without cgo, no driver, no encoder engine).
var ErrUnavailable = errors.New("encoder unavailable")

// I420 is a planar YUV 4:2:0 picture (BT.601 limited range).
type I420 struct {
	Width, Height             int
	Y, U, V                   []byte
	StrideY, StrideU, StrideV int
}

// NewI420 allocates a picture with tightly packed planes. Width and height
// must be even.
func NewI420(w, h int) *I420 {
	cw, ch := (w+1)/2, (h+1)/2
	buf := make([]byte, w*h+2*cw*ch)
	return &I420{
		Width: w, Height: h,
		Y: buf[:w*h], U: buf[w*h : w*h+cw*ch], V: buf[w*h+cw*ch:],
		StrideY: w, StrideU: cw, StrideV: cw,
	}
}

// Config is what a video encoder is opened with.
type Config struct {
	Width, Height int
	FPS           int
	// Bitrate is the starting target in bits per second; the congestion
	// controller moves it with SetBitrate.
	Bitrate int
	// Threads bounds encoder threads; 0 lets the implementation choose.
	Threads int
}

// Validate reports every problem with the config at once.
func (c Config) Validate() error {
	var errs []error
	if c.Width <= 0 || c.Height <= 0 || c.Width%2 != 0 || c.Height%2 != 0 {
		errs = append(errs, fmt.Errorf("size %dx%d: width and height must be positive and even", c.Width, c.Height))
	}
	if c.FPS <= 0 || c.FPS > 240 {
		errs = append(errs, fmt.Errorf("fps %d: must be 1..240", c.FPS))
	}
	if c.Bitrate < 100_000 {
		errs = append(errs, fmt.Errorf("bitrate %d: must be at least 100000 bit/s", c.Bitrate))
	}
	if c.Threads < 0 {
		errs = append(errs, fmt.Errorf("threads %d: must not be negative", c.Threads))
	}
	return errors.Join(errs...)
}

// AccessUnit is the encoded form of one picture: all its NAL units in
// Annex-B byte-stream format, SPS and PPS included before every IDR.
type AccessUnit struct {
	Data     []byte
	Keyframe bool
}

// Video encodes pictures into H.264 access units, one per picture.
//
// Concurrency: Encode and Close are called from one goroutine (the session
// loop). ForceIDR and SetBitrate may be called from any goroutine at any time
// (RTCP feedback and the congestion controller call them); they take effect
// at the next Encode. Name may be called from any goroutine (stats and
// metrics read it while the session runs).
type Video interface {
	// Name identifies the implementation for logs, stats and metrics
	// ("x264", "nvenc").
	Name() string
	// Encode encodes one picture. The returned Data is valid until the next
	// call of Encode or Close.
	Encode(pic *I420) (AccessUnit, error)
	// ForceIDR makes the next picture an IDR.
	ForceIDR()
	// SetBitrate changes the target without reopening the encoder.
	SetBitrate(bps int)
	// Close releases the encoder. It is safe to call twice.
	Close() error
}

// CheckPlanes reports a picture whose planes are too small for its size
// and strides. Encoders and converters copy planes in C, which has no
// bounds checks, so they call it before handing the planes over.
func (p *I420) CheckPlanes() error {
	cw, ch := (p.Width+1)/2, (p.Height+1)/2
	for _, pl := range []struct {
		name         string
		data         []byte
		stride, w, h int
	}{
		{"Y", p.Y, p.StrideY, p.Width, p.Height},
		{"U", p.U, p.StrideU, cw, ch},
		{"V", p.V, p.StrideV, cw, ch},
	} {
		if pl.stride < pl.w {
			return fmt.Errorf("%s stride %d is less than plane width %d", pl.name, pl.stride, pl.w)
		}
		if need := pl.stride*(pl.h-1) + pl.w; len(pl.data) < need {
			return fmt.Errorf("%s plane holds %d bytes, %dx%d at stride %d needs %d", pl.name, len(pl.data), pl.w, pl.h, pl.stride, need)
		}
	}
	return nil
}
