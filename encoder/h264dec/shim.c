//go:build cgo

#include "shim.h"

#include <stdlib.h>
#include <string.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>

shd_state *shd_new(void) { return calloc(1, sizeof(shd_state)); }

int shd_open(shd_state *s, int threads, int64_t max_pixels) {
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	if (!codec)
		return SHD_ERR_NOCODEC;
	s->ctx = avcodec_alloc_context3(codec);
	s->pkt = av_packet_alloc();
	s->frame = av_frame_alloc();
	if (!s->ctx || !s->pkt || !s->frame)
		return SHD_ERR_NOMEM;
	// Low delay: a picture is output as soon as it is decoded, without
	// waiting to learn whether later ones come before it. Stratus streams
	// have no B-frames, so nothing is out of order.
	s->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	// Slice threads only: frame threading keeps one picture in flight per
	// thread, so each access unit's picture would come out threads-1
	// access units late.
	s->ctx->thread_type = FF_THREAD_SLICE;
	s->ctx->thread_count = threads;
	// libavcodec refuses a larger picture before it allocates one.
	s->ctx->max_pixels = max_pixels;
	// Every problem reaches the caller as an error or a Corrupt frame, so
	// the library's own lines would only repeat it on stderr, for every
	// damaged access unit of every stream the checker plays. Shifted to
	// debug they stay visible to a process that turns av_log up, and
	// need no process-wide av_log callback.
	s->ctx->log_level_offset = AV_LOG_DEBUG;
	return avcodec_open2(s->ctx, codec, NULL);
}

int shd_send(shd_state *s, const uint8_t *au, int n) {
	// av_new_packet zeroes the padding that libavcodec's bitstream
	// reader may read past the end; the copy also means no Go memory
	// stays with the decoder after the call.
	int err = av_new_packet(s->pkt, n);
	if (err < 0)
		return err;
	memcpy(s->pkt->data, au, n);
	err = avcodec_send_packet(s->ctx, s->pkt);
	av_packet_unref(s->pkt);
	return err;
}

int shd_receive(shd_state *s, shd_picture *p) {
	av_frame_unref(s->frame);
	int err = avcodec_receive_frame(s->ctx, s->frame);
	if (err == AVERROR(EAGAIN) || err == AVERROR_EOF)
		return 0;
	if (err < 0)
		return err;
	AVFrame *f = s->frame;
	memset(p, 0, sizeof *p);
	p->width = f->width;
	p->height = f->height;
	switch (f->format) {
	case AV_PIX_FMT_YUV420P:
		p->format = SHD_FMT_I420;
		break;
	case AV_PIX_FMT_YUVJ420P:
		p->format = SHD_FMT_I420_FULL;
		break;
	default:
		p->format = SHD_FMT_OTHER;
	}
	for (int i = 0; i < 3; i++) {
		p->plane[i] = f->data[i];
		p->stride[i] = f->linesize[i];
	}
	p->keyframe = f->key_frame;
	p->corrupt = (f->flags & AV_FRAME_FLAG_CORRUPT) || f->decode_error_flags;
	return 1;
}

const char *shd_format_name(shd_state *s) {
	const char *name = av_get_pix_fmt_name(s->frame->format);
	return name ? name : "unknown";
}

void shd_strerror(int err, char *buf, int n) { av_strerror(err, buf, n); }

void shd_close(shd_state *s) {
	avcodec_free_context(&s->ctx);
	av_frame_free(&s->frame);
	av_packet_free(&s->pkt);
	free(s);
}
