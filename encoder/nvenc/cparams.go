//go:build cgo

package nvenc

/*
#include "session.h"
*/
import "C"

import "unsafe"

// cParams copies p into C types. Every choice params can hold maps to an
// NVENC value here; params.go cannot name them without cgo.
func cParams(p params) C.nvx_params {
	cp := C.nvx_params{
		codec:   C.NVX_CODEC_H264,
		profile: C.NVX_PROFILE_BASELINE,
		width:   C.uint32_t(p.width), height: C.uint32_t(p.height), fps: C.uint32_t(p.fps),
		tuning:             C.NV_ENC_TUNING_INFO_ULTRA_LOW_LATENCY,
		rc_mode:            C.NV_ENC_PARAMS_RC_CBR,
		multi_pass:         C.NV_ENC_MULTI_PASS_DISABLED,
		bitrate:            C.uint32_t(p.bitrate),
		max_bitrate:        C.uint32_t(p.maxBitrate),
		vbv_size:           C.uint32_t(p.vbvSize),
		vbv_initial_delay:  C.uint32_t(p.vbvInitialDelay),
		gop_length:         C.uint32_t(p.gopLength),
		idr_period:         C.uint32_t(p.idrPeriod),
		frame_interval_p:   C.int32_t(p.frameIntervalP),
		zero_reorder_delay: cBool(p.zeroReorderDelay),
		intra_refresh:      cBool(p.intraRefresh),
		// Zero when refresh is off: NVENC reads the fields only with it on.
		intra_refresh_period: C.uint32_t(p.intraRefreshPeriod),
		intra_refresh_count:  C.uint32_t(p.intraRefreshCount),
		repeat_spspps:        cBool(p.repeatSPSPPS),
		output_aud:           cBool(p.outputAUD),
		single_slice:         cBool(p.singleSlice),
		bt601:                cBool(p.bt601),
	}
	if p.profile == profileMain {
		cp.profile = C.NVX_PROFILE_MAIN
	}
	if p.multiPass {
		cp.multi_pass = C.NV_ENC_TWO_PASS_QUARTER_RESOLUTION
	}
	return cp
}

func cBool(b bool) C.uint32_t {
	if b {
		return 1
	}
	return 0
}

// applyTo runs nvx_apply, the copy of p into NVENC's structs, on an
// NV_ENC_INITIALIZE_PARAMS and the NV_ENC_CONFIG it is to point to, both
// in C memory. The encoder runs nvx_apply inside nvx_initialize and
// nvx_reconfigure; this entry is for the tests, which read the structs
// back (package readback) to check the copy without a driver.
func applyTo(initParams, config unsafe.Pointer, p params) {
	cp := cParams(p)
	C.nvx_apply((*C.NV_ENC_INITIALIZE_PARAMS)(initParams), (*C.NV_ENC_CONFIG)(config), &cp)
}
