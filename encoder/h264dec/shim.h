// The C half of package h264dec: the decoder's libavcodec state, and the
// calls on it that are easier to make from C (AVERROR and the packet
// padding are macros, and AVFrame's layout is read in one place).
#ifndef STRATUS_H264DEC_SHIM_H
#define STRATUS_H264DEC_SHIM_H

#include <stdint.h>
#include <libavcodec/avcodec.h>

// shd_state is allocated once per decoder so that Decode needs no Go
// out-parameters (whose address would escape to the heap on every call).
typedef struct {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;
} shd_state;

// shd_picture is what Go reads of a decoded AVFrame.
typedef struct {
	int width, height;
	int format; // SHD_FMT_*
	uint8_t *plane[3];
	int stride[3];
	int keyframe;
	int corrupt;
} shd_picture;

enum { SHD_FMT_OTHER, SHD_FMT_I420, SHD_FMT_I420_FULL };

enum { SHD_OK = 0, SHD_ERR_NOMEM = -1, SHD_ERR_NOCODEC = -2 };

shd_state *shd_new(void);
// shd_open returns SHD_OK, SHD_ERR_* or an AVERROR from avcodec_open2.
int shd_open(shd_state *s, int threads, int64_t max_pixels);
// shd_send copies n bytes of au into a padded packet and hands it to the
// decoder; it returns 0 or an AVERROR.
int shd_send(shd_state *s, const uint8_t *au, int n);
// shd_receive returns 1 with the next frame in *p, 0 when the decoder has
// no more output for now, or an AVERROR.
int shd_receive(shd_state *s, shd_picture *p);
// shd_format_name names the frame's pixel format, for errors.
const char *shd_format_name(shd_state *s);
void shd_strerror(int err, char *buf, int n);
void shd_close(shd_state *s);

#endif
