//go:build cgo

#include "session.h"

#include <string.h>

NVENCSTATUS nvx_host_create(nvx_session *s, uint32_t w, uint32_t h, NV_ENC_INPUT_PTR *out) {
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
NVENCSTATUS nvx_host_upload(nvx_session *s, NV_ENC_INPUT_PTR buf, uint32_t w, uint32_t h,
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

void nvx_host_destroy(nvx_session *s, NV_ENC_INPUT_PTR buf) {
	if (!buf)
		return;
	NVX_PUSH(s);
	s->api->nvEncDestroyInputBuffer(s->enc, buf);
	NVX_POP(s);
	if (s->input == buf)
		s->input = NULL;
}
