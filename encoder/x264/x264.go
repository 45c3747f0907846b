//go:build cgo

package x264

/*
#cgo pkg-config: x264
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/cgo"
	"sync/atomic"
	"unsafe"

	"stratus/encoder"
)

// Bitrate bounds for SetBitrate. The floor matches Config.Validate; the
// ceiling is far above anything a browser stream carries, and keeps a bogus
// estimate from overflowing x264's kbit/s integers.
const (
	minBitrate = 100_000
	maxBitrate = 100_000_000
)

// maxAutoThreads caps the threads chosen when Config.Threads is 0: an edge
// runs several sessions, and beyond a few slices a 720p picture gains
// little speed but loses compression at every slice edge.
const maxAutoThreads = 4

// Available reports whether this build can encode. libx264 is linked, not
// loaded, so a cgo build always can.
func Available() bool { return true }

// videoEncoder follows encoder.Video's concurrency contract: Encode and
// Close run on the session goroutine and share the C state without a lock;
// ForceIDR and SetBitrate only store into atomics that Encode reads.
type videoEncoder struct {
	cfg    encoder.Config
	log    *slog.Logger
	st     *C.stx_state
	handle cgo.Handle
	out    []byte
	pts    int64
	kbps   int
	// threads and base are what the encoder was opened with, kept for
	// PrepareResize, which may read them from another goroutine: they
	// never change.
	threads int
	base    encoder.Config

	wantIDR     atomic.Bool
	wantBitrate atomic.Int64
}

// New opens an x264 encoder for cfg. Threads 0 means one slice thread per
// CPU, at most 4. log receives x264's own warnings and errors; nil means
// slog.Default().
func New(cfg encoder.Config, log *slog.Logger) (encoder.Video, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("x264: invalid config: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	log = log.With("encoder", "x264")
	threads := cfg.Threads
	if threads == 0 {
		threads = min(runtime.NumCPU(), maxAutoThreads)
	}
	bps := clampBitrate(cfg.Bitrate)
	e := &videoEncoder{cfg: cfg, log: log, kbps: bps / 1000}
	e.wantBitrate.Store(int64(bps))
	e.handle = cgo.NewHandle(log)
	e.threads = threads
	e.base = cfg
	st, err := e.openState(cfg, e.kbps)
	if err != nil {
		e.handle.Delete()
		return nil, err
	}
	e.st = st
	log.Info("encoder open", "width", cfg.Width, "height", cfg.Height, "fps", cfg.FPS,
		"bitrate", bps, "threads", threads)
	return e, nil
}

// openState opens x264 for cfg at kbps.
func (e *videoEncoder) openState(cfg encoder.Config, kbps int) (*C.stx_state, error) {
	st := C.stx_new()
	if st == nil {
		return nil, errors.New("x264: out of memory")
	}
	rc := C.stx_open(st, C.int(cfg.Width), C.int(cfg.Height), C.int(cfg.FPS),
		C.int(kbps), C.int(e.threads), C.uintptr_t(e.handle))
	if rc != C.STX_OK {
		C.stx_close(st)
		switch rc {
		case C.STX_ERR_PRESET:
			return nil, errors.New("x264: preset ultrafast/zerolatency rejected")
		case C.STX_ERR_PROFILE:
			return nil, errors.New("x264: baseline profile rejected")
		default:
			return nil, fmt.Errorf("x264: encoder open failed for %dx%d@%d", cfg.Width, cfg.Height, cfg.FPS)
		}
	}
	return st, nil
}

// PrepareResize opens a second encoder for pictures of w×h at fps,
// beside the one in use: x264_encoder_reconfig cannot change the picture
// size, and opening takes tens of milliseconds at 720p, too long to spend
// between two frames. It reads nothing Encode writes, so it may run on any
// goroutine while Encode runs; one at a time.
//
// apply, called on the Encode goroutine, closes the old encoder and makes
// the new one current: the next picture must be w×h, and comes out an IDR
// with new SPS and PPS, which is what a decoder needs to follow a change
// of size. drop, called instead, closes the new one. Exactly one of them
// must be called, once.
func (e *videoEncoder) PrepareResize(w, h, fps int) (apply func(), drop func(), err error) {
	cfg := e.base
	cfg.Width, cfg.Height, cfg.FPS = w, h, fps
	cfg.Bitrate = int(e.wantBitrate.Load())
	if err := cfg.Validate(); err != nil {
		return nil, nil, fmt.Errorf("x264: resize: %w", err)
	}
	kbps := cfg.Bitrate / 1000
	st, err := e.openState(cfg, kbps)
	if err != nil {
		return nil, nil, err
	}
	apply = func() {
		if e.st != nil {
			C.stx_close(e.st)
		}
		e.st, e.cfg, e.kbps = st, cfg, kbps
		e.log.Info("encoder resized", "width", w, "height", h, "fps", fps)
	}
	drop = func() { C.stx_close(st) }
	return apply, drop, nil
}

func (e *videoEncoder) Name() string { return "x264" }

func (e *videoEncoder) ForceIDR() { e.wantIDR.Store(true) }

func (e *videoEncoder) SetBitrate(bps int) { e.wantBitrate.Store(int64(clampBitrate(bps))) }

func clampBitrate(bps int) int { return min(max(bps, minBitrate), maxBitrate) }

// Encode encodes pic into one access unit. The wrapper makes no copy of the
// picture: x264 reads the Go planes during the call, into its own padded
// frame.
func (e *videoEncoder) Encode(pic *encoder.I420) (encoder.AccessUnit, error) {
	if e.st == nil {
		return encoder.AccessUnit{}, errors.New("x264: encode after close")
	}
	if err := e.check(pic); err != nil {
		return encoder.AccessUnit{}, err
	}
	if kbps := int(e.wantBitrate.Load() / 1000); kbps != e.kbps {
		if C.stx_set_rate(e.st, C.int(kbps), C.int(e.cfg.FPS)) < 0 {
			e.log.Warn("bitrate change rejected", "bitrate", kbps*1000)
		} else {
			e.log.Debug("bitrate changed", "from", e.kbps*1000, "to", kbps*1000)
		}
		// Also on failure: retrying a rejected value every frame would
		// only repeat the warning.
		e.kbps = kbps
	}
	idr := C.int(0)
	if e.wantIDR.Swap(false) {
		idr = 1
	}
	n := C.stx_encode(e.st,
		(*C.uint8_t)(unsafe.Pointer(&pic.Y[0])),
		(*C.uint8_t)(unsafe.Pointer(&pic.U[0])),
		(*C.uint8_t)(unsafe.Pointer(&pic.V[0])),
		C.int(pic.StrideY), C.int(pic.StrideU), C.int(pic.StrideV), idr, C.int64_t(e.pts))
	e.pts++
	switch {
	case n < 0:
		return encoder.AccessUnit{}, fmt.Errorf("x264: encode failed on picture %d", e.pts-1)
	case n == 0:
		// zerolatency never holds a picture back; if it did, the
		// one-picture-in, one-access-unit-out contract would be broken.
		return encoder.AccessUnit{}, fmt.Errorf("x264: no output for picture %d", e.pts-1)
	}
	e.out = e.out[:0]
	for _, nal := range unsafe.Slice(e.st.nal, int(e.st.nnal)) {
		e.out = append(e.out, unsafe.Slice((*byte)(nal.p_payload), int(nal.i_payload))...)
	}
	if len(e.out) != int(n) {
		return encoder.AccessUnit{}, fmt.Errorf("x264: NAL units hold %d bytes, frame size is %d", len(e.out), n)
	}
	return encoder.AccessUnit{Data: e.out, Keyframe: e.st.out.b_keyframe != 0}, nil
}

// check rejects pictures that would make x264 read outside the planes.
func (e *videoEncoder) check(pic *encoder.I420) error {
	if pic == nil {
		return errors.New("x264: nil picture")
	}
	if pic.Width != e.cfg.Width || pic.Height != e.cfg.Height {
		return fmt.Errorf("x264: picture is %dx%d, encoder is %dx%d", pic.Width, pic.Height, e.cfg.Width, e.cfg.Height)
	}
	if err := pic.CheckPlanes(); err != nil {
		return fmt.Errorf("x264: %w", err)
	}
	return nil
}

// Close releases the encoder; Data from the last Encode stays readable
// because it lives in Go memory.
func (e *videoEncoder) Close() error {
	if e.st == nil {
		return nil
	}
	C.stx_close(e.st)
	e.st = nil
	// After x264 is closed: its threads may log until then.
	e.handle.Delete()
	return nil
}
