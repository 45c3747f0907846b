// The C half of package readback.
#ifndef STRATUS_NVENC_READBACK_H
#define STRATUS_NVENC_READBACK_H

#include <stdint.h>
#include <ffnvcodec/nvEncodeAPI.h>

// nvx_readback is what nvx_apply wrote, bit fields included, in fields Go
// can read.
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

// nvx_read fills r from init and the config init points to.
void nvx_read(const NV_ENC_INITIALIZE_PARAMS *init, nvx_readback *r);

#endif
