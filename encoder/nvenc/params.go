package nvenc

import (
	"errors"
	"fmt"
	"log/slog"

	"stratus/encoder"
)

// Codec names for Config.Codec.
const (
	CodecH264 = "h264"
	CodecHEVC = "hevc"
	CodecAV1  = "av1"
)

// Config is what an NVENC encoder is opened with.
type Config struct {
	encoder.Config
	// GPU is the CUDA device index the session runs on. A session stays on
	// its GPU for its whole life: placement across GPUs is decided before
	// New, not inside the encoder.
	GPU int
	// UUID, when set, names the GPU as NVML does ("GPU-" and 32 hex
	// digits) and wins over GPU. Callers that place sessions by NVML's
	// reading set it: NVML numbers GPUs in PCI bus order, CUDA fastest
	// first, and the two differ on machines that mix models.
	UUID string
	// Codec is "h264" (the default when empty). "hevc" and "av1" are
	// recognised but not implemented: New says so instead of silently
	// encoding H.264.
	Codec string
}

// Limits that hold for every NVENC generation the SDK 11.1 headers reach.
// The GPU's own limits (NV_ENC_CAPS_WIDTH_MAX and friends) are checked
// again when a session opens, by fitCaps.
const (
	maxWidthH264  = 4096
	maxHeightH264 = 4096
	// minBitrate matches encoder.Config.Validate.
	minBitrate = 100_000
	// maxBitrate is the H.264 level 5.2 ceiling for the baseline and main
	// profiles (MaxBR 50000 kbit/s × 1000): above it no level fits, and it
	// is far more than any browser stream carries.
	maxBitrate = 50_000_000
	// infiniteGOP is NVENC_INFINITE_GOPLENGTH.
	infiniteGOP = 0xffffffff
	// Intra refresh: every intraRefreshSeconds a wave of intra blocks
	// sweeps the picture over 1/intraRefreshWaveDiv of a second. A
	// corruption that NACK could not repair then heals within 2.25 s even
	// if the player's PLI is lost, and the extra bits of a wave are spread
	// over 15 pictures at 60 fps instead of landing in one.
	intraRefreshSeconds = 2
	intraRefreshWaveDiv = 4
)

// codec, preset, tuning, profile, rcMode and bufferFormat name NVENC's
// choices without cgo, so that params can be built and tested on machines
// without the headers; cparams.go and apply.c map them to GUIDs and enum
// values.
type (
	codec        int
	preset       int
	tuning       int
	profile      int
	rcMode       int
	bufferFormat int
)

const (
	codecH264 codec = iota + 1
)

const (
	// presetP1 is the fastest preset: each step towards P7 buys quality
	// with encode time, and every millisecond here is latency the player
	// feels.
	presetP1 preset = iota + 1
)

const (
	// tuningUltraLowLatency disables everything that waits for future
	// pictures and makes the rate control hold each picture near the
	// one-frame VBV.
	tuningUltraLowLatency tuning = iota + 1
)

const (
	// profileBaseline is the profile every WebRTC browser decodes, Safari
	// and hardware decoders included (42e01f in SDP).
	profileBaseline profile = iota + 1
	profileMain
)

const (
	rcCBR rcMode = iota + 1
)

const (
	// bufferNV12 is NVENC's native layout. I420 could be handed over as
	// IYUV, leaving any conversion to the driver; interleaving the chroma
	// during the copy that system-memory input needs anyway costs little.
	bufferNV12 bufferFormat = iota + 1
)

func (c codec) String() string {
	if c == codecH264 {
		return "h264"
	}
	return fmt.Sprintf("codec(%d)", int(c))
}

func (p profile) String() string {
	switch p {
	case profileBaseline:
		return "baseline"
	case profileMain:
		return "main"
	}
	return fmt.Sprintf("profile(%d)", int(p))
}

// params is every session setting, decided in Go before any C struct is
// touched: the recipe is checked by tests on machines without a GPU, and
// cparams.go and apply.c only copy it into NV_ENC_INITIALIZE_PARAMS and
// NV_ENC_CONFIG.
type params struct {
	codec         codec
	width, height int
	fps           int

	preset  preset
	tuning  tuning
	profile profile

	rc rcMode
	// multiPass false: a quarter-resolution first pass would steady the
	// rate under a one-frame VBV but adds encode time to every picture.
	multiPass bool
	// bitrate is averageBitRate; CBR ignores maxBitrate, which is kept
	// equal so a driver that reads it anyway sees the same target.
	bitrate, maxBitrate int
	// vbvSize and vbvInitialDelay are in bits: one frame interval at the
	// target rate, so no picture can take much longer than a frame
	// interval to cross a link running at that rate.
	vbvSize, vbvInitialDelay int

	// gopLength and idrPeriod infinite: IDRs only on request (ForceIDR).
	gopLength, idrPeriod uint32
	// frameIntervalP 1 means IPPP: no B-frames, so no reordering delay.
	frameIntervalP   int
	zeroReorderDelay bool

	intraRefresh       bool
	intraRefreshPeriod int // frames between the starts of two waves
	intraRefreshCount  int // frames one wave spans

	// repeatSPSPPS puts SPS and PPS before every IDR, so a player that
	// joins or recovers needs only that access unit.
	repeatSPSPPS bool
	outputAUD    bool
	// singleSlice: one slice per picture, which gives one access unit per
	// picture and the best compression; NVENC is fast enough not to need
	// slices for parallelism.
	singleSlice bool
	// bt601 writes VUI colour information for BT.601 limited range, which
	// is what encoder.I420 holds.
	bt601 bool

	input bufferFormat
}

// buildParams turns cfg into the low-latency session settings. It reports
// every problem with cfg at once.
func buildParams(cfg Config) (params, error) {
	var errs []error
	if err := cfg.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	if cfg.GPU < 0 {
		errs = append(errs, fmt.Errorf("gpu %d: must not be negative", cfg.GPU))
	}
	c, err := parseCodec(cfg.Codec)
	if err != nil {
		errs = append(errs, err)
	}
	if cfg.Width > maxWidthH264 || cfg.Height > maxHeightH264 {
		errs = append(errs, fmt.Errorf("size %dx%d: NVENC encodes H.264 up to %dx%d",
			cfg.Width, cfg.Height, maxWidthH264, maxHeightH264))
	}
	if len(errs) > 0 {
		return params{}, errors.Join(errs...)
	}
	p := params{
		codec:  c,
		width:  cfg.Width,
		height: cfg.Height,
		fps:    cfg.FPS,

		preset:  presetP1,
		tuning:  tuningUltraLowLatency,
		profile: profileBaseline,
		rc:      rcCBR,

		gopLength:        infiniteGOP,
		idrPeriod:        infiniteGOP,
		frameIntervalP:   1,
		zeroReorderDelay: true,

		intraRefresh:       true,
		intraRefreshPeriod: intraRefreshSeconds * cfg.FPS,
		// At least one frame, and shorter than the period as NVENC
		// requires (period is 2 × fps ≥ 2).
		intraRefreshCount: max(1, cfg.FPS/intraRefreshWaveDiv),

		repeatSPSPPS: true,
		singleSlice:  true,
		bt601:        true,
		input:        bufferNV12,
	}
	return p.withBitrate(cfg.Bitrate), nil
}

// parseCodec accepts the codec names of Config.Codec. HEVC and AV1 are
// named separately from unknown strings: a caller asking for them gets a
// precise answer, and adding them later changes only this function and
// apply.c's GUID mapping.
func parseCodec(name string) (codec, error) {
	switch name {
	case "", CodecH264:
		return codecH264, nil
	case CodecHEVC:
		return 0, fmt.Errorf("codec %q: not implemented (this package encodes h264 only)", name)
	case CodecAV1:
		return 0, fmt.Errorf("codec %q: not implemented (this package encodes h264 only; AV1 also needs NVENC SDK 12 and an Ada or newer GPU)", name)
	}
	return 0, fmt.Errorf("codec %q: unknown (want %q)", name, CodecH264)
}

// reconfigParams is p at a new target bitrate, as nvEncReconfigureEncoder
// receives it: only the rate and the VBV that follows from it change, so
// the GOP structure, which NVENC cannot reconfigure, stays as it was.
func reconfigParams(p params, bps int) params {
	return p.withBitrate(bps)
}

func (p params) withBitrate(bps int) params {
	bps = clampBitrate(bps)
	p.bitrate, p.maxBitrate = bps, bps
	// Rounded up, so the buffer always holds at least one frame's worth.
	p.vbvSize = (bps + p.fps - 1) / p.fps
	p.vbvInitialDelay = p.vbvSize
	return p
}

func clampBitrate(bps int) int { return min(max(bps, minBitrate), maxBitrate) }

// caps are the limits of one GPU's encoder, from nvEncGetEncodeCaps.
// Zero means unknown (an older driver that does not answer the query).
type caps struct {
	widthMin, heightMin int
	widthMax, heightMax int
	intraRefresh        bool
	dynamicBitrate      bool
	customVBV           bool
}

// fitCaps checks p against what the GPU reports. A size the GPU cannot
// encode is an error; a missing feature of the recipe is dropped with a
// warning, because a stream without intra refresh still beats no stream.
func fitCaps(p params, c caps) (params, []string, error) {
	if (c.widthMax > 0 && p.width > c.widthMax) || (c.heightMax > 0 && p.height > c.heightMax) {
		return p, nil, fmt.Errorf("size %dx%d: this GPU encodes up to %dx%d", p.width, p.height, c.widthMax, c.heightMax)
	}
	if p.width < c.widthMin || p.height < c.heightMin {
		return p, nil, fmt.Errorf("size %dx%d: this GPU encodes from %dx%d", p.width, p.height, c.widthMin, c.heightMin)
	}
	var warn []string
	if p.intraRefresh && !c.intraRefresh {
		p.intraRefresh, p.intraRefreshPeriod, p.intraRefreshCount = false, 0, 0
		warn = append(warn, "GPU does not support intra refresh: loss is repaired only by IDRs")
	}
	if !c.customVBV {
		warn = append(warn, "GPU ignores a custom VBV size: pictures may exceed one frame interval at the target rate")
	}
	if !c.dynamicBitrate {
		warn = append(warn, "GPU does not support bitrate changes: SetBitrate will be rejected")
	}
	return p, warn, nil
}

// logAttrs describes p for the "encoder open" log line.
func (p params) logAttrs() []slog.Attr {
	return []slog.Attr{
		slog.String("codec", p.codec.String()),
		slog.Int("width", p.width), slog.Int("height", p.height), slog.Int("fps", p.fps),
		slog.String("preset", "P1"), slog.String("tuning", "ultra-low-latency"),
		slog.String("profile", p.profile.String()), slog.String("rc", "CBR"),
		slog.Int("bitrate", p.bitrate), slog.Int("vbv_bits", p.vbvSize),
		slog.Bool("intra_refresh", p.intraRefresh),
		slog.Int("intra_refresh_period", p.intraRefreshPeriod),
		slog.Int("intra_refresh_count", p.intraRefreshCount),
	}
}

// checkPicture rejects pictures that would make the plane copy read outside
// the Go slices: the copy runs in C, which has no bounds checks.
func checkPicture(pic *encoder.I420, width, height int) error {
	if pic == nil {
		return errors.New("nvenc: nil picture")
	}
	if pic.Width != width || pic.Height != height {
		return fmt.Errorf("nvenc: picture is %dx%d, encoder is %dx%d", pic.Width, pic.Height, width, height)
	}
	if err := pic.CheckPlanes(); err != nil {
		return fmt.Errorf("nvenc: %w", err)
	}
	return nil
}
