//go:build cgo

package nvenc

/*
#include "session.h"
*/
import "C"

import "errors"

// session is an open NVENC encode session on one GPU.
type session struct {
	c    *C.nvx_session
	gpu  int
	name string
}

// openSession opens an encode session on d's current GPU and checks that
// it encodes c. Probe and New share it, so they diagnose a GPU alike.
func openSession(d *driver, gpu int, name string, c codec) (*session, error) {
	s := &session{c: C.nvx_session_new(d.api(), d.handle(), C.int(c)), gpu: gpu, name: name}
	if s.c == nil {
		return nil, errors.New("nvenc: out of memory")
	}
	if st := Status(C.nvx_open(s.c, d.context())); st != statusSuccess {
		s.close()
		err := &StatusError{Op: "nvEncOpenEncodeSessionEx", Status: st}
		switch {
		case st.noEncoder():
			return nil, unavailable("GPU %s (index %d) has no NVENC engine (%v)", name, gpu, err)
		case st == statusInvalidVersion:
			return nil, unavailable("driver too old (needs ≥ %s for SDK %s; %v)", minDriver, minAPI, err)
		case st == statusOutOfMemory:
			// What GeForce drivers answer when their cap on concurrent
			// sessions is reached, as well as on real exhaustion.
			return nil, unavailable("GPU %s (index %d): no encode session available, out of memory or at the driver's session limit (%v)", name, gpu, err)
		}
		return nil, unavailable("GPU %s (index %d): cannot open an encode session (%v)", name, gpu, err)
	}
	var found C.int
	if st := Status(C.nvx_has_codec(s.c, &found)); st != statusSuccess {
		err := s.statusError("nvEncGetEncodeGUIDs", st)
		s.close()
		return nil, unavailable("GPU %s (index %d): cannot list its codecs (%v)", name, gpu, err)
	}
	if found == 0 {
		s.close()
		return nil, unavailable("GPU %s (index %d) has no NVENC engine for %s (the encoder lists no such codec)", name, gpu, c)
	}
	return s, nil
}

func (s *session) statusError(op string, st Status) *StatusError {
	err := &StatusError{Op: op, Status: st}
	if msg := C.nvx_last_error(s.c); msg != nil {
		err.Detail = C.GoString(msg)
	}
	return err
}

// caps asks the GPU for the limits fitCaps checks. A query the driver does
// not answer leaves its value zero (unknown, or unsupported).
func (s *session) caps() caps {
	q := func(which C.NV_ENC_CAPS) int {
		var v C.int
		if C.nvx_cap(s.c, C.int(which), &v) != C.NV_ENC_SUCCESS {
			return 0
		}
		return int(v)
	}
	return caps{
		widthMin:       q(C.NV_ENC_CAPS_WIDTH_MIN),
		heightMin:      q(C.NV_ENC_CAPS_HEIGHT_MIN),
		widthMax:       q(C.NV_ENC_CAPS_WIDTH_MAX),
		heightMax:      q(C.NV_ENC_CAPS_HEIGHT_MAX),
		intraRefresh:   q(C.NV_ENC_CAPS_SUPPORT_INTRA_REFRESH) != 0,
		dynamicBitrate: q(C.NV_ENC_CAPS_SUPPORT_DYN_BITRATE_CHANGE) != 0,
		customVBV:      q(C.NV_ENC_CAPS_SUPPORT_CUSTOM_VBV_BUF_SIZE) != 0,
	}
}

func (s *session) close() {
	if s.c != nil {
		C.nvx_session_free(s.c)
		s.c = nil
	}
}
