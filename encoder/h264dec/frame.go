package h264dec

import (
	"errors"

	"stratus/encoder"
)

// Limits on what a decoder accepts. The checker decodes streams that come
// through the network, where a damaged or hostile SPS can claim any size;
// without a bound every one of its many decoders could be made to allocate
// gigabytes. Stratus encodes at most 4K-class sizes, and even an IDR at
// the highest bitrate it sends is a small fraction of MaxAccessUnit.
const (
	// MaxAccessUnit bounds one access unit, which is copied whole into
	// C memory.
	MaxAccessUnit = 4 << 20
	// MaxWidth and MaxHeight bound a decoded picture: 4096×2304 is the
	// largest 16:9 size whose macroblock count H.264 level 5.1 allows.
	// libavcodec itself refuses a picture of more pixels than that,
	// before allocating it, as invalid data (and logs a line of its own);
	// Decode refuses one within the count but wider or taller as
	// ErrTooLarge.
	MaxWidth  = 4096
	MaxHeight = 2304
)

var (
	// ErrTooLarge is returned for an access unit or a picture over the
	// limits above.
	ErrTooLarge = errors.New("over the decoder's limits")
	// ErrInvalidData is returned when libavcodec could not decode an
	// access unit, or could only by concealing errors: corrupt, truncated
	// or not H.264. The decoder stays usable; later pictures reference
	// what was lost and come out damaged (Frame.Corrupt) until the next
	// keyframe.
	ErrInvalidData = errors.New("invalid H.264 data")
	// ErrClosed is returned by Decode after Close.
	ErrClosed = errors.New("decoder closed")
)

// Config is what a decoder is opened with.
type Config struct {
	// Threads is the number of slice threads; 0 means 1. The checker
	// decodes many streams at once, so one thread per stream already
	// keeps the cores busy, and latency matters more than the throughput
	// of one stream. More threads help only streams coded in several
	// slices (x264 with several threads), and never add delay: frame
	// threading, which would, is never used.
	Threads int
}

// Frame is one decoded picture.
//
// The planes belong to the decoder and are overwritten by the next Decode;
// Clone what must outlive it. They are Go memory, so Close does not free
// them under a caller still reading.
type Frame struct {
	encoder.I420
	// Keyframe: an IDR picture (or one libavcodec found a recovery
	// point for), decodable without any earlier access unit.
	Keyframe bool
	// Corrupt: libavcodec concealed errors in this picture, or it comes
	// after a damaged access unit and before the next keyframe, so it
	// references damaged pictures. It is still returned, because whether a
	// damaged picture counts is the caller's decision.
	Corrupt bool
	// FullRange: the stream signalled full-range (JPEG) levels rather
	// than the limited range encoder.I420 normally holds. Stratus's
	// encoders never do.
	FullRange bool
}

// Clone copies the frame into memory of its own.
func (f Frame) Clone() Frame {
	c := f
	pic := encoder.NewI420(f.Width, f.Height)
	copyPlane(pic.Y, pic.StrideY, f.Y, f.StrideY, f.Width, f.Height)
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	copyPlane(pic.U, pic.StrideU, f.U, f.StrideU, cw, ch)
	copyPlane(pic.V, pic.StrideV, f.V, f.StrideV, cw, ch)
	c.I420 = *pic
	return c
}

func copyPlane(dst []byte, dstStride int, src []byte, srcStride, w, h int) {
	for y := range h {
		copy(dst[y*dstStride:y*dstStride+w], src[y*srcStride:y*srcStride+w])
	}
}
