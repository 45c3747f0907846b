//go:build cgo

package readback

/*
#cgo pkg-config: ffnvcodec
#include <stdlib.h>
#include <string.h>
#include "readback.h"
*/
import "C"

import "unsafe"

// Applied is what package nvenc's C wrote into NVENC's structs, read back.
type Applied struct {
	Width, Height, MaxWidth, MaxHeight, FPSNum, FPSDen int
	Async, PTD                                         bool
	TuningULL                                          bool
	CodecH264, PresetP1, Baseline, Main                bool
	GOPLength                                          uint32
	FrameIntervalP                                     int
	RCCBR, MultiPass                                   bool
	Bitrate, MaxBitrate, VBVSize, VBVInitialDelay      int
	ZeroReorderDelay, Lookahead                        bool
	IDRPeriod                                          uint32
	RepeatSPSPPS, DisableSPSPPS, OutputAUD             bool
	IntraRefresh                                       bool
	IntraRefreshPeriod, IntraRefreshCount              int
	SliceMode, SliceModeData                           int
	CAVLC, No8x8Transform                              bool
	ChromaFormat, Level                                int
	VUISignalType, VUIFullRange, VUIColour             bool
	VUIMatrix                                          int
}

// Apply hands apply an NV_ENC_INITIALIZE_PARAMS and an NV_ENC_CONFIG in C
// memory, the config filled with junk as a driver's preset could be, and
// reads back what apply wrote into them; apply points the first at the
// second, as nvx_apply does. Out of C memory, it returns a zero Applied.
func Apply(apply func(initParams, config unsafe.Pointer)) Applied {
	ip := C.malloc(C.sizeof_NV_ENC_INITIALIZE_PARAMS)
	defer C.free(ip)
	config := C.malloc(C.sizeof_NV_ENC_CONFIG)
	defer C.free(config)
	if ip == nil || config == nil {
		return Applied{}
	}
	C.memset(config, 0xff, C.sizeof_NV_ENC_CONFIG)
	apply(ip, config)
	var r C.nvx_readback
	C.nvx_read((*C.NV_ENC_INITIALIZE_PARAMS)(ip), &r)
	return Applied{
		Width: int(r.width), Height: int(r.height), MaxWidth: int(r.max_width), MaxHeight: int(r.max_height),
		FPSNum: int(r.fps_num), FPSDen: int(r.fps_den),
		Async: r.async != 0, PTD: r.ptd != 0, TuningULL: r.tuning == C.NV_ENC_TUNING_INFO_ULTRA_LOW_LATENCY,
		CodecH264: r.codec_h264 != 0, PresetP1: r.preset_p1 != 0,
		Baseline: r.profile_baseline != 0, Main: r.profile_main != 0,
		GOPLength: uint32(r.gop_length), FrameIntervalP: int(r.frame_interval_p),
		RCCBR: r.rc_mode == C.NV_ENC_PARAMS_RC_CBR, MultiPass: r.multi_pass != C.NV_ENC_MULTI_PASS_DISABLED,
		Bitrate: int(r.bitrate), MaxBitrate: int(r.max_bitrate),
		VBVSize: int(r.vbv_size), VBVInitialDelay: int(r.vbv_initial_delay),
		ZeroReorderDelay: r.zero_reorder_delay != 0, Lookahead: r.lookahead != 0,
		IDRPeriod:    uint32(r.idr_period),
		RepeatSPSPPS: r.repeat_spspps != 0, DisableSPSPPS: r.disable_spspps != 0, OutputAUD: r.output_aud != 0,
		IntraRefresh:       r.intra_refresh != 0,
		IntraRefreshPeriod: int(r.intra_refresh_period), IntraRefreshCount: int(r.intra_refresh_count),
		SliceMode: int(r.slice_mode), SliceModeData: int(r.slice_mode_data),
		CAVLC: r.entropy_cavlc != 0, No8x8Transform: r.transform_disabled != 0,
		ChromaFormat: int(r.chroma_format), Level: int(r.level),
		VUISignalType: r.vui_signal_type != 0, VUIFullRange: r.vui_full_range != 0,
		VUIColour: r.vui_colour_description != 0, VUIMatrix: int(r.vui_matrix),
	}
}
