//go:build cgo

package opus

/*
#include <opus.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// decoder is libopus's decoder, here only so that the tests can check what
// Encode produced by listening to it: cgo is not allowed in test files. The
// browser does the real decoding.
type decoder struct {
	dec      *C.OpusDecoder
	channels int
}

func newDecoder(sampleRate, channels int) (*decoder, error) {
	var rc C.int
	dec := C.opus_decoder_create(C.opus_int32(sampleRate), C.int(channels), &rc)
	if rc != C.OPUS_OK || dec == nil {
		return nil, fmt.Errorf("opus: decoder create: %s", strerror(rc))
	}
	return &decoder{dec: dec, channels: channels}, nil
}

// decode decodes one packet into pcm (interleaved) and returns the samples
// per channel written.
func (d *decoder) decode(pkt []byte, pcm []int16) (int, error) {
	if len(pkt) == 0 || len(pcm) < d.channels {
		return 0, errors.New("opus: decode: empty packet or output")
	}
	n := C.opus_decode(d.dec, (*C.uchar)(unsafe.Pointer(&pkt[0])), C.opus_int32(len(pkt)),
		(*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)/d.channels), 0)
	if n < 0 {
		return 0, fmt.Errorf("opus: decode: %s", strerror(n))
	}
	return int(n), nil
}

func (d *decoder) close() {
	if d.dec != nil {
		C.opus_decoder_destroy(d.dec)
		d.dec = nil
	}
}
