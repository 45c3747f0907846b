//go:build cgo

#include "readback.h"

#include <string.h>

void nvx_read(const NV_ENC_INITIALIZE_PARAMS *init, nvx_readback *r) {
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
