//go:build cgo

#include "shim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void stx_log(void *priv, int level, const char *fmt, va_list ap) {
	char buf[512];
	vsnprintf(buf, sizeof buf, fmt, ap);
	stratusX264Log((uintptr_t)priv, level, buf);
}

static void stx_rate(x264_param_t *p, int kbps, int fps) {
	p->rc.i_bitrate = kbps;
	p->rc.i_vbv_max_bitrate = kbps;
	// Rounded up: x264 warns about, and enlarges, a buffer smaller than
	// one frame at the maximum rate.
	p->rc.i_vbv_buffer_size = (kbps + fps - 1) / fps;
}

stx_state *stx_new(void) { return calloc(1, sizeof(stx_state)); }

// stx_open exists because x264_encoder_open is a macro (it names the
// versioned symbol), which cgo cannot call.
int stx_open(stx_state *s, int w, int h, int fps, int kbps, int threads, uintptr_t log) {
	x264_param_t *p = &s->param;
	if (x264_param_default_preset(p, "ultrafast", "zerolatency") < 0)
		return STX_ERR_PRESET;
	p->i_width = w;
	p->i_height = h;
	p->i_csp = X264_CSP_I420;
	p->i_fps_num = fps;
	p->i_fps_den = 1;
	p->i_threads = threads;
	p->b_sliced_threads = 1;
	p->i_bframe = 0;
	p->i_keyint_max = X264_KEYINT_MAX_INFINITE;
	p->i_scenecut_threshold = 0;
	p->b_intra_refresh = 0;
	p->b_repeat_headers = 1;
	p->b_annexb = 1;
	p->b_aud = 0;
	p->rc.i_rc_method = X264_RC_ABR;
	stx_rate(p, kbps, fps);
	p->i_log_level = X264_LOG_WARNING;
	p->pf_log = stx_log;
	p->p_log_private = (void *)log;
	if (x264_param_apply_profile(p, "baseline") < 0)
		return STX_ERR_PROFILE;
	s->enc = x264_encoder_open(p);
	if (!s->enc)
		return STX_ERR_OPEN;
	x264_picture_init(&s->in);
	s->in.img.i_csp = X264_CSP_I420;
	s->in.img.i_plane = 3;
	return STX_OK;
}

int stx_encode(stx_state *s, uint8_t *y, uint8_t *u, uint8_t *v,
		int sy, int su, int sv, int idr, int64_t pts) {
	s->in.img.plane[0] = y;
	s->in.img.plane[1] = u;
	s->in.img.plane[2] = v;
	s->in.img.i_stride[0] = sy;
	s->in.img.i_stride[1] = su;
	s->in.img.i_stride[2] = sv;
	s->in.i_type = idr ? X264_TYPE_IDR : X264_TYPE_AUTO;
	s->in.i_pts = pts;
	int n = x264_encoder_encode(s->enc, &s->nal, &s->nnal, &s->in, &s->out);
	// The planes are Go memory. x264 has copied them into its own frame by
	// now (zerolatency keeps no input queue), and cgo forbids C to keep a
	// Go pointer once the call returns.
	s->in.img.plane[0] = s->in.img.plane[1] = s->in.img.plane[2] = NULL;
	return n;
}

int stx_set_rate(stx_state *s, int kbps, int fps) {
	stx_rate(&s->param, kbps, fps);
	return x264_encoder_reconfig(s->enc, &s->param);
}

void stx_close(stx_state *s) {
	if (s->enc)
		x264_encoder_close(s->enc);
	free(s);
}
