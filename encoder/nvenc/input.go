//go:build cgo

package nvenc

/*
#include "session.h"
*/
import "C"

import (
	"unsafe"

	"stratus/encoder"
)

// inputSource puts a picture where NVENC reads it and points the session's
// next nvEncEncodePicture at it.
//
// hostInput, the only source so far, copies each picture from Go memory
// into a driver-allocated buffer, which the driver then moves to the GPU:
// two copies of a picture that a GPU-rendering title already had on the
// GPU. A zero-copy source would take the title's CUDA device pointer or GL
// texture instead: register it once with nvEncRegisterResource
// (NV_ENC_INPUT_RESOURCE_TYPE_CUDADEVICEPTR or _OPENGL_TEX, with its pitch
// and NV12 or ARGB format), then per picture nvEncMapInputResource in load
// (the mapped pointer becomes the input) and nvEncUnmapInputResource in
// done, unregistering in close. It needs the title to render on this
// session's GPU, and an Encode that takes such a frame rather than an
// *encoder.I420.
type inputSource interface {
	// load makes pic the session's next input.
	load(pic *encoder.I420) error
	// done releases the input once its picture is encoded.
	done()
	close()
}

// hostInput is system-memory input through nvEncCreateInputBuffer.
type hostInput struct {
	s             *session
	buf           C.NV_ENC_INPUT_PTR
	width, height int
}

func newHostInput(s *session, width, height int) (*hostInput, error) {
	in := &hostInput{s: s, width: width, height: height}
	if st := Status(C.nvx_host_create(s.c, C.uint32_t(width), C.uint32_t(height), &in.buf)); st != statusSuccess {
		return nil, s.statusError("nvEncCreateInputBuffer", st)
	}
	return in, nil
}

func (in *hostInput) load(pic *encoder.I420) error {
	st := Status(C.nvx_host_upload(in.s.c, in.buf, C.uint32_t(in.width), C.uint32_t(in.height),
		(*C.uint8_t)(unsafe.Pointer(&pic.Y[0])),
		(*C.uint8_t)(unsafe.Pointer(&pic.U[0])),
		(*C.uint8_t)(unsafe.Pointer(&pic.V[0])),
		C.int(pic.StrideY), C.int(pic.StrideU), C.int(pic.StrideV)))
	if st != statusSuccess {
		return in.s.statusError("nvEncLockInputBuffer/nvEncUnlockInputBuffer", st)
	}
	return nil
}

// done has nothing to release: the buffer is reused for the next picture,
// and synchronous mode has finished reading it.
func (in *hostInput) done() {}

func (in *hostInput) close() {
	if in.buf != nil {
		C.nvx_host_destroy(in.s.c, in.buf)
		in.buf = nil
	}
}
