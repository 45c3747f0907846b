//go:build cgo

#include "session.h"

#include <string.h>

GUID nvx_codec_guid(int codec) {
	(void)codec; // H.264 is the only codec so far.
	return NV_ENC_CODEC_H264_GUID;
}

// nvx_apply writes p into init and config, over the preset's defaults in
// config: this is the only place where the recipe meets NVENC's structs
// (and their bit fields, which Go cannot reach).
void nvx_apply(NV_ENC_INITIALIZE_PARAMS *init, NV_ENC_CONFIG *c, const nvx_params *p) {
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
