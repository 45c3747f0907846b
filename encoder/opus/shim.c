//go:build cgo

#include "shim.h"

int sto_set_bitrate(OpusEncoder *e, opus_int32 bps) {
	return opus_encoder_ctl(e, OPUS_SET_BITRATE(bps));
}

int sto_set_inband_fec(OpusEncoder *e, opus_int32 on) {
	return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(on));
}

int sto_set_complexity(OpusEncoder *e, opus_int32 c) {
	return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(c));
}

int sto_set_dtx(OpusEncoder *e, opus_int32 on) {
	return opus_encoder_ctl(e, OPUS_SET_DTX(on));
}

opus_int32 sto_lookahead(OpusEncoder *e) {
	opus_int32 n = 0;
	int rc = opus_encoder_ctl(e, OPUS_GET_LOOKAHEAD(&n));
	return rc == OPUS_OK ? n : rc;
}
