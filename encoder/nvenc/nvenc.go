//go:build cgo

package nvenc

/*
#cgo pkg-config: ffnvcodec
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ffnvcodec/nvEncodeAPI.h>

// Defined in loader.go, the one file that includes dynlink_loader.h.
int nvx_ctx_push(void *drv);
void nvx_ctx_pop(void *drv);

// NVX_PUSH and NVX_POP bracket NVENC calls with the GPU's context; a push
// that failed is not popped, so another context is never popped instead.
#define NVX_PUSH(s) int nvx_pushed_ = nvx_ctx_push((s)->drv) == 0
#define NVX_POP(s) do { if (nvx_pushed_) nvx_ctx_pop((s)->drv); } while (0)

enum { NVX_CODEC_H264 = 1 };
enum { NVX_PROFILE_BASELINE = 1, NVX_PROFILE_MAIN = 2 };

// nvx_params is params (params.go) in C types, as cParams fills it.
typedef struct {
	int codec, profile;
	uint32_t width, height, fps;
	uint32_t tuning, rc_mode, multi_pass;
	uint32_t bitrate, max_bitrate, vbv_size, vbv_initial_delay;
	uint32_t gop_length, idr_period;
	int32_t frame_interval_p;
	uint32_t zero_reorder_delay;
	uint32_t intra_refresh, intra_refresh_period, intra_refresh_count;
	uint32_t repeat_spspps, output_aud, single_slice, bt601;
} nvx_params;

// nvx_session is one encoder's C state, allocated once so that Encode
// needs no C allocation and passes no Go pointers that C would keep.
typedef struct {
	NV_ENCODE_API_FUNCTION_LIST *api;
	void *drv;
	void *enc;
	GUID codec;
	int initialized;
	NV_ENC_INITIALIZE_PARAMS init;
	NV_ENC_CONFIG config;
	// The input the next picture is encoded from, set by an inputSource.
	NV_ENC_INPUT_PTR input;
	NV_ENC_BUFFER_FORMAT input_format;
	uint32_t input_pitch;
	NV_ENC_OUTPUT_PTR output;
	NV_ENC_PIC_PARAMS pic;
	NV_ENC_LOCK_BITSTREAM lock;
	int locked;
} nvx_session;

static GUID nvx_codec_guid(int codec) {
	(void)codec; // H.264 is the only codec so far.
	return NV_ENC_CODEC_H264_GUID;
}

static nvx_session *nvx_session_new(NV_ENCODE_API_FUNCTION_LIST *api, void *drv, int codec) {
	nvx_session *s = calloc(1, sizeof(nvx_session));
	if (s) {
		s->api = api;
		s->drv = drv;
		s->codec = nvx_codec_guid(codec);
	}
	return s;
}

static NVENCSTATUS nvx_open(nvx_session *s, void *cuda_ctx) {
	NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS p;
	memset(&p, 0, sizeof p);
	p.version = NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER;
	p.deviceType = NV_ENC_DEVICE_TYPE_CUDA;
	p.device = cuda_ctx;
	p.apiVersion = NVENCAPI_VERSION;
	NVX_PUSH(s);
	NVENCSTATUS st = s->api->nvEncOpenEncodeSessionEx(&p, &s->enc);
	// The API asks for the encoder to be destroyed even when opening it
	// failed.
	if (st != NV_ENC_SUCCESS && s->enc) {
		s->api->nvEncDestroyEncoder(s->enc);
		s->enc = NULL;
	}
	NVX_POP(s);
	return st;
}

static NVENCSTATUS nvx_has_codec(nvx_session *s, int *found) {
	GUID guids[32];
	uint32_t n = 0;
	*found = 0;
	NVENCSTATUS st = s->api->nvEncGetEncodeGUIDCount(s->enc, &n);
	if (st != NV_ENC_SUCCESS)
		return st;
	if (n > 32)
		n = 32;
	st = s->api->nvEncGetEncodeGUIDs(s->enc, guids, n, &n);
	if (st != NV_ENC_SUCCESS)
		return st;
	for (uint32_t i = 0; i < n; i++)
		if (memcmp(&guids[i], &s->codec, sizeof(GUID)) == 0)
			*found = 1;
	return NV_ENC_SUCCESS;
}

static NVENCSTATUS nvx_cap(nvx_session *s, int which, int *val) {
	NV_ENC_CAPS_PARAM p;
	memset(&p, 0, sizeof p);
	p.version = NV_ENC_CAPS_PARAM_VER;
	p.capsToQuery = (NV_ENC_CAPS)which;
	*val = 0;
	return s->api->nvEncGetEncodeCaps(s->enc, s->codec, &p, val);
}

// nvx_apply writes p into init and config, over the preset's defaults in
// config: this is the only place where the recipe meets NVENC's structs
// (and their bit fields, which Go cannot reach).
static void nvx_apply(NV_ENC_INITIALIZE_PARAMS *init, NV_ENC_CONFIG *c, const nvx_params *p) {
	memset(init, 0, sizeof *init);
	init->version = NV_ENC_INITIALIZE_PARAMS_VER;
	init->encodeGUID = nvx_codec_guid(p->codec);
	init->presetGUID = NV_ENC_PRESET_P1_GUID;
	init->tuningInfo = (NV_ENC_TUNING_INFO)p->tuning;
	init->encodeWidth = init->darWidth = init->maxEncodeWidth = p->width;
	init->encodeHeight = init->darHeight = init->maxEncodeHeight = p->height;
	init->frameRateNum = p->fps;
	init->frameRateDen = 1;
	init->enableEncodeAsync = 0;
	init->enablePTD = 1;
	init->encodeConfig = c;

	c->version = NV_ENC_CONFIG_VER;
	c->profileGUID = p->profile == NVX_PROFILE_MAIN ? NV_ENC_H264_PROFILE_MAIN_GUID
		: NV_ENC_H264_PROFILE_BASELINE_GUID;
	c->gopLength = p->gop_length;
	c->frameIntervalP = p->frame_interval_p;
	c->frameFieldMode = NV_ENC_PARAMS_FRAME_FIELD_MODE_FRAME;

	NV_ENC_RC_PARAMS *rc = &c->rcParams;
	rc->rateControlMode = (NV_ENC_PARAMS_RC_MODE)p->rc_mode;
	rc->multiPass = (NV_ENC_MULTI_PASS)p->multi_pass;
	rc->averageBitRate = p->bitrate;
	rc->maxBitRate = p->max_bitrate;
	rc->vbvBufferSize = p->vbv_size;
	rc->vbvInitialDelay = p->vbv_initial_delay;
	rc->zeroReorderDelay = p->zero_reorder_delay;
	rc->enableLookahead = 0;

	NV_ENC_CONFIG_H264 *h = &c->encodeCodecConfig.h264Config;
	h->idrPeriod = p->idr_period;
	h->repeatSPSPPS = p->repeat_spspps;
	h->disableSPSPPS = 0;
	h->outputAUD = p->output_aud;
	h->enableIntraRefresh = p->intra_refresh;
	h->intraRefreshPeriod = p->intra_refresh_period;
	h->intraRefreshCnt = p->intra_refresh_count;
	if (p->single_slice) {
		h->sliceMode = 0;
		h->sliceModeData = 0;
	}
	h->chromaFormatIDC = 1;
	h->level = NV_ENC_LEVEL_AUTOSELECT;
	if (p->profile == NVX_PROFILE_BASELINE) {
		// Baseline has neither CABAC nor the 8x8 transform; the P1
		// preset may have chosen either for another profile.
		h->entropyCodingMode = NV_ENC_H264_ENTROPY_CODING_MODE_CAVLC;
		h->adaptiveTransformMode = NV_ENC_H264_ADAPTIVE_TRANSFORM_DISABLE;
	}
	if (p->bt601) {
		NV_ENC_CONFIG_H264_VUI_PARAMETERS *v = &h->h264VUIParameters;
		v->videoSignalTypePresentFlag = 1;
		v->videoFormat = 5; // unspecified
		v->videoFullRangeFlag = 0;
		v->colourDescriptionPresentFlag = 1;
		v->colourPrimaries = 6; // SMPTE 170M
		v->transferCharacteristics = 6;
		v->colourMatrix = 6;
	}
}

// nvx_preset fetches the P1 / ultra-low-latency preset into the session's
// config; nvx_initialize then applies p over it and starts the encoder.
static NVENCSTATUS nvx_preset(nvx_session *s, const nvx_params *p) {
	NV_ENC_PRESET_CONFIG pc;
	memset(&pc, 0, sizeof pc);
	pc.version = NV_ENC_PRESET_CONFIG_VER;
	pc.presetCfg.version = NV_ENC_CONFIG_VER;
	NVX_PUSH(s);
	NVENCSTATUS st = s->api->nvEncGetEncodePresetConfigEx(s->enc, s->codec, NV_ENC_PRESET_P1_GUID,
		(NV_ENC_TUNING_INFO)p->tuning, &pc);
	NVX_POP(s);
	s->config = pc.presetCfg;
	return st;
}

static NVENCSTATUS nvx_initialize(nvx_session *s, const nvx_params *p) {
	nvx_apply(&s->init, &s->config, p);
	NVX_PUSH(s);
	NVENCSTATUS st = s->api->nvEncInitializeEncoder(s->enc, &s->init);
	NVX_POP(s);
	s->initialized = st == NV_ENC_SUCCESS;
	return st;
}

// nvx_reconfigure applies p (a new rate) without reopening the encoder,
// keeping the rate control state and starting no IDR. The session's
// config changes only if the driver accepts the new one.
static NVENCSTATUS nvx_reconfigure(nvx_session *s, const nvx_params *p) {
	NV_ENC_RECONFIGURE_PARAMS r;
	NV_ENC_CONFIG c = s->config;
	memset(&r, 0, sizeof r);
	r.version = NV_ENC_RECONFIGURE_PARAMS_VER;
	nvx_apply(&r.reInitEncodeParams, &c, p);
	r.resetEncoder = 0;
	r.forceIDR = 0;
	NVX_PUSH(s);
	NVENCSTATUS st = s->api->nvEncReconfigureEncoder(s->enc, &r);
	NVX_POP(s);
	if (st == NV_ENC_SUCCESS) {
		s->config = c;
		s->init = r.reInitEncodeParams;
		s->init.encodeConfig = &s->config;
	}
	return st;
}

static NVENCSTATUS nvx_create_bitstream(nvx_session *s) {
	NV_ENC_CREATE_BITSTREAM_BUFFER b;
	memset(&b, 0, sizeof b);
	b.version = NV_ENC_CREATE_BITSTREAM_BUFFER_VER;
	NVX_PUSH(s);
	NVENCSTATUS st = s->api->nvEncCreateBitstreamBuffer(s->enc, &b);
	NVX_POP(s);
	if (st == NV_ENC_SUCCESS)
		s->output = b.bitstreamBuffer;
	return st;
}

// Host input: a driver-allocated NV12 buffer in system memory.

static NVENCSTATUS nvx_host_create(nvx_session *s, uint32_t w, uint32_t h, NV_ENC_INPUT_PTR *out) {
	NV_ENC_CREATE_INPUT_BUFFER b;
	memset(&b, 0, sizeof b);
	b.version = NV_ENC_CREATE_INPUT_BUFFER_VER;
	b.width = w;
	b.height = h;
	b.bufferFmt = NV_ENC_BUFFER_FORMAT_NV12;
	NVX_PUSH(s);
	NVENCSTATUS st = s->api->nvEncCreateInputBuffer(s->enc, &b);
	NVX_POP(s);
	*out = st == NV_ENC_SUCCESS ? b.inputBuffer : NULL;
	return st;
}

// nvx_host_upload copies an I420 picture into the NV12 buffer: the luma
// rows as they are, the chroma interleaved U,V after the luma at the
// buffer's pitch. The Go planes are read only during the call.
static NVENCSTATUS nvx_host_upload(nvx_session *s, NV_ENC_INPUT_PTR buf, uint32_t w, uint32_t h,
		const uint8_t *y, const uint8_t *u, const uint8_t *v, int sy, int su, int sv) {
	NV_ENC_LOCK_INPUT_BUFFER l;
	memset(&l, 0, sizeof l);
	l.version = NV_ENC_LOCK_INPUT_BUFFER_VER;
	l.inputBuffer = buf;
	NVX_PUSH(s);
	NVENCSTATUS st = s->api->nvEncLockInputBuffer(s->enc, &l);
	if (st != NV_ENC_SUCCESS) {
		NVX_POP(s);
		return st;
	}
	uint8_t *dst = l.bufferDataPtr;
	size_t pitch = l.pitch;
	for (uint32_t r = 0; r < h; r++)
		memcpy(dst + r * pitch, y + (size_t)r * sy, w);
	uint8_t *uv = dst + pitch * h;
	uint32_t cw = (w + 1) / 2, ch = (h + 1) / 2;
	for (uint32_t r = 0; r < ch; r++) {
		uint8_t *d = uv + r * pitch;
		const uint8_t *pu = u + (size_t)r * su, *pv = v + (size_t)r * sv;
		for (uint32_t x = 0; x < cw; x++) {
			d[2 * x] = pu[x];
			d[2 * x + 1] = pv[x];
		}
	}
	st = s->api->nvEncUnlockInputBuffer(s->enc, buf);
	NVX_POP(s);
	if (st == NV_ENC_SUCCESS) {
		s->input = buf;
		s->input_format = NV_ENC_BUFFER_FORMAT_NV12;
		s->input_pitch = l.pitch;
	}
	return st;
}

static void nvx_host_destroy(nvx_session *s, NV_ENC_INPUT_PTR buf) {
	if (!buf)
		return;
	NVX_PUSH(s);
	s->api->nvEncDestroyInputBuffer(s->enc, buf);
	NVX_POP(s);
	if (s->input == buf)
		s->input = NULL;
}

// nvx_encode encodes the current input. Synchronous mode with no B-frames
// and no lookahead: the picture's bitstream is ready when this returns.
static NVENCSTATUS nvx_encode(nvx_session *s, uint32_t w, uint32_t h, int idr, uint64_t pts) {
	NV_ENC_PIC_PARAMS *pp = &s->pic;
	memset(pp, 0, sizeof *pp);
	pp->version = NV_ENC_PIC_PARAMS_VER;
	pp->inputWidth = w;
	pp->inputHeight = h;
	pp->inputPitch = s->input_pitch;
	pp->inputBuffer = s->input;
	pp->bufferFmt = s->input_format;
	pp->outputBitstream = s->output;
	pp->pictureStruct = NV_ENC_PIC_STRUCT_FRAME;
	pp->inputTimeStamp = pts;
	if (idr)
		pp->encodePicFlags = NV_ENC_PIC_FLAG_FORCEIDR | NV_ENC_PIC_FLAG_OUTPUT_SPSPPS;
	NVX_PUSH(s);
	NVENCSTATUS st = s->api->nvEncEncodePicture(s->enc, pp);
	NVX_POP(s);
	return st;
}

// nvx_lock maps the bitstream for reading; Go copies it out, then calls
// nvx_unlock.
static NVENCSTATUS nvx_lock(nvx_session *s) {
	NV_ENC_LOCK_BITSTREAM *l = &s->lock;
	memset(l, 0, sizeof *l);
	l->version = NV_ENC_LOCK_BITSTREAM_VER;
	l->outputBitstream = s->output;
	l->doNotWait = 0;
	NVX_PUSH(s);
	NVENCSTATUS st = s->api->nvEncLockBitstream(s->enc, l);
	NVX_POP(s);
	s->locked = st == NV_ENC_SUCCESS;
	return st;
}

static NVENCSTATUS nvx_unlock(nvx_session *s) {
	if (!s->locked)
		return NV_ENC_SUCCESS;
	NVX_PUSH(s);
	NVENCSTATUS st = s->api->nvEncUnlockBitstream(s->enc, s->output);
	NVX_POP(s);
	s->locked = 0;
	return st;
}

// nvx_bitstream is the locked picture: its bytes, their count, and whether
// it is an IDR. An accessor, because NV_ENC_LOCK_BITSTREAM starts with bit
// fields, which cgo leaves out of the Go view of the struct.
static const void *nvx_bitstream(nvx_session *s, uint32_t *size, int *idr) {
	*size = s->lock.bitstreamSizeInBytes;
	*idr = s->lock.pictureType == NV_ENC_PIC_TYPE_IDR;
	return s->lock.bitstreamBufferPtr;
}

static const char *nvx_last_error(nvx_session *s) {
	if (!s->enc || !s->api->nvEncGetLastErrorString)
		return NULL;
	return s->api->nvEncGetLastErrorString(s->enc);
}

// nvx_session_free tears down in the order the API wants: buffers, an
// end-of-stream picture to drain the encoder, then the encoder.
static void nvx_session_free(nvx_session *s) {
	if (!s)
		return;
	if (s->enc) {
		nvx_unlock(s);
		NVX_PUSH(s);
		if (s->initialized) {
			NV_ENC_PIC_PARAMS eos;
			memset(&eos, 0, sizeof eos);
			eos.version = NV_ENC_PIC_PARAMS_VER;
			eos.encodePicFlags = NV_ENC_PIC_FLAG_EOS;
			s->api->nvEncEncodePicture(s->enc, &eos);
		}
		if (s->output)
			s->api->nvEncDestroyBitstreamBuffer(s->enc, s->output);
		s->api->nvEncDestroyEncoder(s->enc);
		NVX_POP(s);
	}
	free(s);
}

// nvx_readback is what nvx_apply wrote, bit fields included, for tests
// and the debug log.
typedef struct {
	uint32_t width, height, max_width, max_height, fps_num, fps_den;
	uint32_t async, ptd, tuning;
	int codec_h264, preset_p1, profile_baseline, profile_main;
	uint32_t gop_length, rc_mode, multi_pass;
	int32_t frame_interval_p;
	uint32_t bitrate, max_bitrate, vbv_size, vbv_initial_delay, zero_reorder_delay, lookahead;
	uint32_t idr_period, repeat_spspps, disable_spspps, output_aud;
	uint32_t intra_refresh, intra_refresh_period, intra_refresh_count;
	uint32_t slice_mode, slice_mode_data, entropy_cavlc, transform_disabled, chroma_format, level;
	uint32_t vui_signal_type, vui_full_range, vui_colour_description, vui_matrix;
} nvx_readback;

static void nvx_read(const NV_ENC_INITIALIZE_PARAMS *init, nvx_readback *r) {
	const NV_ENC_CONFIG *c = init->encodeConfig;
	const NV_ENC_CONFIG_H264 *h = &c->encodeCodecConfig.h264Config;
	memset(r, 0, sizeof *r);
	r->width = init->encodeWidth;
	r->height = init->encodeHeight;
	r->max_width = init->maxEncodeWidth;
	r->max_height = init->maxEncodeHeight;
	r->fps_num = init->frameRateNum;
	r->fps_den = init->frameRateDen;
	r->async = init->enableEncodeAsync;
	r->ptd = init->enablePTD;
	r->tuning = init->tuningInfo;
	r->codec_h264 = memcmp(&init->encodeGUID, &NV_ENC_CODEC_H264_GUID, sizeof(GUID)) == 0;
	r->preset_p1 = memcmp(&init->presetGUID, &NV_ENC_PRESET_P1_GUID, sizeof(GUID)) == 0;
	r->profile_baseline = memcmp(&c->profileGUID, &NV_ENC_H264_PROFILE_BASELINE_GUID, sizeof(GUID)) == 0;
	r->profile_main = memcmp(&c->profileGUID, &NV_ENC_H264_PROFILE_MAIN_GUID, sizeof(GUID)) == 0;
	r->gop_length = c->gopLength;
	r->frame_interval_p = c->frameIntervalP;
	r->rc_mode = c->rcParams.rateControlMode;
	r->multi_pass = c->rcParams.multiPass;
	r->bitrate = c->rcParams.averageBitRate;
	r->max_bitrate = c->rcParams.maxBitRate;
	r->vbv_size = c->rcParams.vbvBufferSize;
	r->vbv_initial_delay = c->rcParams.vbvInitialDelay;
	r->zero_reorder_delay = c->rcParams.zeroReorderDelay;
	r->lookahead = c->rcParams.enableLookahead;
	r->idr_period = h->idrPeriod;
	r->repeat_spspps = h->repeatSPSPPS;
	r->disable_spspps = h->disableSPSPPS;
	r->output_aud = h->outputAUD;
	r->intra_refresh = h->enableIntraRefresh;
	r->intra_refresh_period = h->intraRefreshPeriod;
	r->intra_refresh_count = h->intraRefreshCnt;
	r->slice_mode = h->sliceMode;
	r->slice_mode_data = h->sliceModeData;
	r->entropy_cavlc = h->entropyCodingMode == NV_ENC_H264_ENTROPY_CODING_MODE_CAVLC;
	r->transform_disabled = h->adaptiveTransformMode == NV_ENC_H264_ADAPTIVE_TRANSFORM_DISABLE;
	r->chroma_format = h->chromaFormatIDC;
	r->level = h->level;
	r->vui_signal_type = h->h264VUIParameters.videoSignalTypePresentFlag;
	r->vui_full_range = h->h264VUIParameters.videoFullRangeFlag;
	r->vui_colour_description = h->h264VUIParameters.colourDescriptionPresentFlag;
	r->vui_matrix = h->h264VUIParameters.colourMatrix;
}

// nvx_apply_readback runs nvx_apply on a preset-like config filled with
// junk, as a driver's preset could be, and reads the result back.
static void nvx_apply_readback(const nvx_params *p, nvx_readback *r) {
	NV_ENC_INITIALIZE_PARAMS init;
	NV_ENC_CONFIG *c = malloc(sizeof(NV_ENC_CONFIG));
	if (!c) {
		memset(r, 0, sizeof *r);
		return;
	}
	memset(c, 0xff, sizeof *c);
	nvx_apply(&init, c, p);
	nvx_read(&init, r);
	free(c);
}
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

// cParams copies p into C types. Every choice params can hold maps to an
// NVENC value here; params.go cannot name them without cgo.
func cParams(p params) C.nvx_params {
	cp := C.nvx_params{
		codec:   C.NVX_CODEC_H264,
		profile: C.NVX_PROFILE_BASELINE,
		width:   C.uint32_t(p.width), height: C.uint32_t(p.height), fps: C.uint32_t(p.fps),
		tuning:             C.NV_ENC_TUNING_INFO_ULTRA_LOW_LATENCY,
		rc_mode:            C.NV_ENC_PARAMS_RC_CBR,
		multi_pass:         C.NV_ENC_MULTI_PASS_DISABLED,
		bitrate:            C.uint32_t(p.bitrate),
		max_bitrate:        C.uint32_t(p.maxBitrate),
		vbv_size:           C.uint32_t(p.vbvSize),
		vbv_initial_delay:  C.uint32_t(p.vbvInitialDelay),
		gop_length:         C.uint32_t(p.gopLength),
		idr_period:         C.uint32_t(p.idrPeriod),
		frame_interval_p:   C.int32_t(p.frameIntervalP),
		zero_reorder_delay: cBool(p.zeroReorderDelay),
		intra_refresh:      cBool(p.intraRefresh),
		// Zero when refresh is off: NVENC reads the fields only with it on.
		intra_refresh_period: C.uint32_t(p.intraRefreshPeriod),
		intra_refresh_count:  C.uint32_t(p.intraRefreshCount),
		repeat_spspps:        cBool(p.repeatSPSPPS),
		output_aud:           cBool(p.outputAUD),
		single_slice:         cBool(p.singleSlice),
		bt601:                cBool(p.bt601),
	}
	if p.profile == profileMain {
		cp.profile = C.NVX_PROFILE_MAIN
	}
	if p.multiPass {
		cp.multi_pass = C.NV_ENC_TWO_PASS_QUARTER_RESOLUTION
	}
	return cp
}

func cBool(b bool) C.uint32_t {
	if b {
		return 1
	}
	return 0
}

// applied is what the C copy writes into NVENC's structs for p, read back.
type applied struct {
	width, height, maxWidth, maxHeight, fpsNum, fpsDen int
	async, ptd                                         bool
	tuningULL                                          bool
	codecH264, presetP1, baseline, main                bool
	gopLength                                          uint32
	frameIntervalP                                     int
	rcCBR, multiPass                                   bool
	bitrate, maxBitrate, vbvSize, vbvInitialDelay      int
	zeroReorderDelay, lookahead                        bool
	idrPeriod                                          uint32
	repeatSPSPPS, disableSPSPPS, outputAUD             bool
	intraRefresh                                       bool
	intraRefreshPeriod, intraRefreshCount              int
	sliceMode, sliceModeData                           int
	cavlc, no8x8Transform                              bool
	chromaFormat, level                                int
	vuiSignalType, vuiFullRange, vuiColour             bool
	vuiMatrix                                          int
}

// applyReadback runs the C copy of p over a junk-filled config and reads
// the result back. Tests use it to check the copy without a driver.
func applyReadback(p params) applied {
	cp := cParams(p)
	var r C.nvx_readback
	C.nvx_apply_readback(&cp, &r)
	return applied{
		width: int(r.width), height: int(r.height), maxWidth: int(r.max_width), maxHeight: int(r.max_height),
		fpsNum: int(r.fps_num), fpsDen: int(r.fps_den),
		async: r.async != 0, ptd: r.ptd != 0, tuningULL: r.tuning == C.NV_ENC_TUNING_INFO_ULTRA_LOW_LATENCY,
		codecH264: r.codec_h264 != 0, presetP1: r.preset_p1 != 0,
		baseline: r.profile_baseline != 0, main: r.profile_main != 0,
		gopLength: uint32(r.gop_length), frameIntervalP: int(r.frame_interval_p),
		rcCBR: r.rc_mode == C.NV_ENC_PARAMS_RC_CBR, multiPass: r.multi_pass != C.NV_ENC_MULTI_PASS_DISABLED,
		bitrate: int(r.bitrate), maxBitrate: int(r.max_bitrate),
		vbvSize: int(r.vbv_size), vbvInitialDelay: int(r.vbv_initial_delay),
		zeroReorderDelay: r.zero_reorder_delay != 0, lookahead: r.lookahead != 0,
		idrPeriod:    uint32(r.idr_period),
		repeatSPSPPS: r.repeat_spspps != 0, disableSPSPPS: r.disable_spspps != 0, outputAUD: r.output_aud != 0,
		intraRefresh:       r.intra_refresh != 0,
		intraRefreshPeriod: int(r.intra_refresh_period), intraRefreshCount: int(r.intra_refresh_count),
		sliceMode: int(r.slice_mode), sliceModeData: int(r.slice_mode_data),
		cavlc: r.entropy_cavlc != 0, no8x8Transform: r.transform_disabled != 0,
		chromaFormat: int(r.chroma_format), level: int(r.level),
		vuiSignalType: r.vui_signal_type != 0, vuiFullRange: r.vui_full_range != 0,
		vuiColour: r.vui_colour_description != 0, vuiMatrix: int(r.vui_matrix),
	}
}

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
	if err := e.open(cfg.GPU, p); err != nil {
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
