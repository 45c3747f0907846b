//go:build cgo

package nvenc

/*
#include "session.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"unsafe"

	"stratus/encoder"
)

// videoEncoder follows encoder.Video's concurrency contract: Encode and
// Close run on the session goroutine and own the C state; ForceIDR and
// SetBitrate only store into atomics that Encode reads.
type videoEncoder struct {
	p   params
	log *slog.Logger
	drv *driver
	s   *session
	in  inputSource
	out []byte
	pts uint64
	// target is the last bitrate tried, applied or not: a rate the driver
	// rejected is not retried every picture.
	target int
	// failures counts pictures in a row lost to a transient status.
	failures int
	// lost is set once the session is unusable; Encode returns it.
	lost error

	wantIDR     atomic.Bool
	wantBitrate atomic.Int64
}

// New opens an H.264 encoder on GPU cfg.GPU with the low-latency recipe
// described in the package documentation. log receives the open and
// bitrate-change lines and warnings; nil means slog.Default().
//
// An invalid cfg is reported as such; a machine or GPU that cannot encode
// gives an error wrapping encoder.ErrUnavailable, as from Probe.
func New(cfg Config, log *slog.Logger) (encoder.Video, error) {
	p, err := buildParams(cfg)
	if err != nil {
		return nil, fmt.Errorf("nvenc: invalid config: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	log = log.With("encoder", "nvenc", "gpu", cfg.GPU)
	d, err := loadDriver()
	if err != nil {
		return nil, err
	}
	e := &videoEncoder{log: log, drv: d}
	gpu := cfg.GPU
	if cfg.UUID != "" {
		if gpu, err = d.ordinal(cfg.UUID); err != nil {
			e.Close()
			return nil, err
		}
	}
	if err := e.open(gpu, p); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *videoEncoder) open(gpu int, p params) error {
	name, err := e.drv.useGPU(gpu)
	if err != nil {
		return err
	}
	if e.s, err = openSession(e.drv, gpu, name, p.codec); err != nil {
		return err
	}
	p, warnings, err := fitCaps(p, e.s.caps())
	if err != nil {
		return unavailable("GPU %s (index %d): %v", name, gpu, err)
	}
	for _, w := range warnings {
		e.log.Warn(w, "gpu_name", name)
	}
	cp := cParams(p)
	if st := Status(C.nvx_preset(e.s.c, &cp)); st != statusSuccess {
		return unavailable("GPU %s (index %d): preset P1 with ultra-low-latency tuning unavailable (%v)",
			name, gpu, e.s.statusError("nvEncGetEncodePresetConfigEx", st))
	}
	if st := Status(C.nvx_initialize(e.s.c, &cp)); st != statusSuccess {
		return unavailable("GPU %s (index %d): %dx%d@%d rejected (%v)", name, gpu, p.width, p.height, p.fps,
			e.s.statusError("nvEncInitializeEncoder", st))
	}
	if st := Status(C.nvx_create_bitstream(e.s.c)); st != statusSuccess {
		return unavailable("GPU %s (index %d): %v", name, gpu, e.s.statusError("nvEncCreateBitstreamBuffer", st))
	}
	in, err := newHostInput(e.s, p.width, p.height)
	if err != nil {
		return unavailable("GPU %s (index %d): %v", name, gpu, err)
	}
	e.in = in
	e.p = p
	e.target = p.bitrate
	e.wantBitrate.Store(int64(p.bitrate))
	attrs := append([]slog.Attr{slog.String("gpu_name", name)}, p.logAttrs()...)
	e.log.LogAttrs(context.Background(), slog.LevelInfo, "encoder open", attrs...)
	return nil
}

func (e *videoEncoder) Name() string { return "nvenc" }

func (e *videoEncoder) ForceIDR() { e.wantIDR.Store(true) }

func (e *videoEncoder) SetBitrate(bps int) { e.wantBitrate.Store(int64(clampBitrate(bps))) }

// Encode encodes pic into one access unit. An error wrapping
// ErrSessionLost means this encoder will not encode again; see its doc.
func (e *videoEncoder) Encode(pic *encoder.I420) (encoder.AccessUnit, error) {
	if e.s == nil {
		return encoder.AccessUnit{}, errors.New("nvenc: encode after close")
	}
	if e.lost != nil {
		return encoder.AccessUnit{}, e.lost
	}
	if err := checkPicture(pic, e.p.width, e.p.height); err != nil {
		return encoder.AccessUnit{}, err
	}
	if err := e.applyBitrate(); err != nil {
		return encoder.AccessUnit{}, err
	}
	idr := e.wantIDR.Swap(false)
	pts := e.pts
	e.pts++
	au, serr := e.encode(pic, idr, pts)
	if serr != nil {
		if idr {
			// The IDR a player asked for has not been sent yet.
			e.wantIDR.Store(true)
		}
		e.failures++
		err := encodeFailure(serr, e.failures, max(e.p.fps, 1))
		if errors.Is(err, ErrSessionLost) {
			e.lost = err
			e.log.Error("session lost", "err", serr)
			return encoder.AccessUnit{}, err
		}
		return encoder.AccessUnit{}, fmt.Errorf("nvenc: picture %d: %w", pts, err)
	}
	e.failures = 0
	return au, nil
}

func (e *videoEncoder) encode(pic *encoder.I420, idr bool, pts uint64) (encoder.AccessUnit, *StatusError) {
	if err := e.in.load(pic); err != nil {
		var serr *StatusError
		if errors.As(err, &serr) {
			return encoder.AccessUnit{}, serr
		}
		return encoder.AccessUnit{}, &StatusError{Op: "load input", Status: statusGeneric, Detail: err.Error()}
	}
	defer e.in.done()
	flag := C.int(0)
	if idr {
		flag = 1
	}
	if st := Status(C.nvx_encode(e.s.c, C.uint32_t(e.p.width), C.uint32_t(e.p.height), flag, C.uint64_t(pts))); st != statusSuccess {
		// NEED_MORE_INPUT would mean the encoder held the picture back,
		// which this configuration never asks for; it breaks the
		// one-picture-in, one-access-unit-out contract like any failure.
		return encoder.AccessUnit{}, e.s.statusError("nvEncEncodePicture", st)
	}
	if st := Status(C.nvx_lock(e.s.c)); st != statusSuccess {
		return encoder.AccessUnit{}, e.s.statusError("nvEncLockBitstream", st)
	}
	var size C.uint32_t
	var idrOut C.int
	data := C.nvx_bitstream(e.s.c, &size, &idrOut)
	e.out = append(e.out[:0], unsafe.Slice((*byte)(data), int(size))...)
	keyframe := idrOut != 0
	if st := Status(C.nvx_unlock(e.s.c)); st != statusSuccess {
		return encoder.AccessUnit{}, e.s.statusError("nvEncUnlockBitstream", st)
	}
	if len(e.out) == 0 {
		return encoder.AccessUnit{}, &StatusError{Op: "nvEncLockBitstream", Status: statusGeneric, Detail: "empty bitstream"}
	}
	return encoder.AccessUnit{Data: e.out, Keyframe: keyframe}, nil
}

// applyBitrate moves the encoder to the latest SetBitrate target with
// nvEncReconfigureEncoder. A rejected rate is logged and not retried; a
// busy encoder is retried at the next picture; anything else loses the
// session.
func (e *videoEncoder) applyBitrate() error {
	bps := int(e.wantBitrate.Load())
	if bps == e.target {
		return nil
	}
	np := reconfigParams(e.p, bps)
	cp := cParams(np)
	st := Status(C.nvx_reconfigure(e.s.c, &cp))
	switch {
	case st == statusSuccess:
		e.log.Debug("bitrate changed", "from", e.p.bitrate, "to", np.bitrate)
		e.p, e.target = np, bps
	case st.rejected():
		e.log.Warn("bitrate change rejected", "bitrate", bps, "err", e.s.statusError("nvEncReconfigureEncoder", st))
		e.target = bps
	case st.transient():
	default:
		e.lost = fmt.Errorf("%w: %w", ErrSessionLost, e.s.statusError("nvEncReconfigureEncoder", st))
		e.log.Error("session lost", "err", e.lost)
		return e.lost
	}
	return nil
}

// Close releases the encoder; Data from the last Encode stays readable
// because it lives in Go memory.
func (e *videoEncoder) Close() error {
	if e.in != nil {
		e.in.close()
		e.in = nil
	}
	if e.s != nil {
		e.s.close()
		e.s = nil
	}
	if e.drv != nil {
		e.drv.close()
		e.drv = nil
	}
	return nil
}
