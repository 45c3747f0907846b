// The C half of the encode session (session.go, input.go, cparams.go):
// the parameters' copy into NVENC's structs, and the NVENC calls, each
// within the GPU's context.
#ifndef STRATUS_NVENC_SESSION_H
#define STRATUS_NVENC_SESSION_H

#include <stdint.h>
#include <ffnvcodec/nvEncodeAPI.h>

#include "loader.h"

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

// apply.c
GUID nvx_codec_guid(int codec);
void nvx_apply(NV_ENC_INITIALIZE_PARAMS *init, NV_ENC_CONFIG *c, const nvx_params *p);

// session.c
nvx_session *nvx_session_new(NV_ENCODE_API_FUNCTION_LIST *api, void *drv, int codec);
NVENCSTATUS nvx_open(nvx_session *s, void *cuda_ctx);
NVENCSTATUS nvx_has_codec(nvx_session *s, int *found);
NVENCSTATUS nvx_cap(nvx_session *s, int which, int *val);
NVENCSTATUS nvx_preset(nvx_session *s, const nvx_params *p);
NVENCSTATUS nvx_initialize(nvx_session *s, const nvx_params *p);
NVENCSTATUS nvx_reconfigure(nvx_session *s, const nvx_params *p);
NVENCSTATUS nvx_create_bitstream(nvx_session *s);
NVENCSTATUS nvx_encode(nvx_session *s, uint32_t w, uint32_t h, int idr, uint64_t pts);
NVENCSTATUS nvx_lock(nvx_session *s);
NVENCSTATUS nvx_unlock(nvx_session *s);
const void *nvx_bitstream(nvx_session *s, uint32_t *size, int *idr);
const char *nvx_last_error(nvx_session *s);
void nvx_session_free(nvx_session *s);

// input.c: host input, a driver-allocated NV12 buffer in system memory.
NVENCSTATUS nvx_host_create(nvx_session *s, uint32_t w, uint32_t h, NV_ENC_INPUT_PTR *out);
NVENCSTATUS nvx_host_upload(nvx_session *s, NV_ENC_INPUT_PTR buf, uint32_t w, uint32_t h,
		const uint8_t *y, const uint8_t *u, const uint8_t *v, int sy, int su, int sv);
void nvx_host_destroy(nvx_session *s, NV_ENC_INPUT_PTR buf);

#endif
