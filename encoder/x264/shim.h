// The C half of package x264: the encoder's state in C memory, and the
// calls on it that cgo cannot make itself (x264_encoder_open is a macro,
// and x264's log callback takes a va_list).
#ifndef STRATUS_X264_SHIM_H
#define STRATUS_X264_SHIM_H

#include <stdint.h>
#include <x264.h>

// Defined in log.go.
extern void stratusX264Log(uintptr_t handle, int level, char *msg);

// stx_state is allocated once per encoder so that Encode needs no C
// allocation and no Go out-parameters (whose address would escape to the
// heap on every call).
typedef struct {
	x264_t *enc;
	x264_param_t param;
	x264_picture_t in, out;
	x264_nal_t *nal;
	int nnal;
} stx_state;

enum { STX_OK, STX_ERR_PRESET, STX_ERR_PROFILE, STX_ERR_OPEN };

stx_state *stx_new(void);
int stx_open(stx_state *s, int w, int h, int fps, int kbps, int threads, uintptr_t log);
int stx_encode(stx_state *s, uint8_t *y, uint8_t *u, uint8_t *v,
		int sy, int su, int sv, int idr, int64_t pts);
int stx_set_rate(stx_state *s, int kbps, int fps);
void stx_close(stx_state *s);

#endif
