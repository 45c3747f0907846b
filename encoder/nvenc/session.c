//go:build cgo

#include "session.h"

#include <stdlib.h>
#include <string.h>

nvx_session *nvx_session_new(NV_ENCODE_API_FUNCTION_LIST *api, void *drv, int codec) {
	nvx_session *s = calloc(1, sizeof(nvx_session));
	if (s) {
		s->api = api;
		s->drv = drv;
		s->codec = nvx_codec_guid(codec);
	}
	return s;
}

NVENCSTATUS nvx_open(nvx_session *s, void *cuda_ctx) {
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

NVENCSTATUS nvx_has_codec(nvx_session *s, int *found) {
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

NVENCSTATUS nvx_cap(nvx_session *s, int which, int *val) {
	NV_ENC_CAPS_PARAM p;
	memset(&p, 0, sizeof p);
	p.version = NV_ENC_CAPS_PARAM_VER;
	p.capsToQuery = (NV_ENC_CAPS)which;
	*val = 0;
	return s->api->nvEncGetEncodeCaps(s->enc, s->codec, &p, val);
}

// nvx_preset fetches the P1 / ultra-low-latency preset into the session's
// config; nvx_initialize then applies p over it and starts the encoder.
NVENCSTATUS nvx_preset(nvx_session *s, const nvx_params *p) {
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

NVENCSTATUS nvx_initialize(nvx_session *s, const nvx_params *p) {
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
NVENCSTATUS nvx_reconfigure(nvx_session *s, const nvx_params *p) {
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

NVENCSTATUS nvx_create_bitstream(nvx_session *s) {
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

// nvx_encode encodes the current input. Synchronous mode with no B-frames
// and no lookahead: the picture's bitstream is ready when this returns.
NVENCSTATUS nvx_encode(nvx_session *s, uint32_t w, uint32_t h, int idr, uint64_t pts) {
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
NVENCSTATUS nvx_lock(nvx_session *s) {
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

NVENCSTATUS nvx_unlock(nvx_session *s) {
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
const void *nvx_bitstream(nvx_session *s, uint32_t *size, int *idr) {
	*size = s->lock.bitstreamSizeInBytes;
	*idr = s->lock.pictureType == NV_ENC_PIC_TYPE_IDR;
	return s->lock.bitstreamBufferPtr;
}

const char *nvx_last_error(nvx_session *s) {
	if (!s->enc || !s->api->nvEncGetLastErrorString)
		return NULL;
	return s->api->nvEncGetLastErrorString(s->enc);
}

// nvx_session_free tears down in the order the API wants: buffers, an
// end-of-stream picture to drain the encoder, then the encoder.
void nvx_session_free(nvx_session *s) {
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
