// The C half of package opus: what cgo cannot call directly.
#ifndef STRATUS_OPUS_SHIM_H
#define STRATUS_OPUS_SHIM_H

#include <opus.h>

// opus_encoder_ctl is variadic, which cgo cannot call, and its request
// macros type-check their argument; one small function per request keeps
// both in C.

int sto_set_bitrate(OpusEncoder *e, opus_int32 bps);
int sto_set_inband_fec(OpusEncoder *e, opus_int32 on);
int sto_set_complexity(OpusEncoder *e, opus_int32 c);
int sto_set_dtx(OpusEncoder *e, opus_int32 on);

// sto_lookahead returns the look-ahead in samples, or a negative error.
opus_int32 sto_lookahead(OpusEncoder *e);

#endif
