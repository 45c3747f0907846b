package nvenc

import (
	"errors"
	"strings"
	"testing"
)

func TestStatusNames(t *testing.T) {
	tests := []struct {
		s    Status
		want string
	}{
		{0, "NV_ENC_SUCCESS"},
		{1, "NV_ENC_ERR_NO_ENCODE_DEVICE"},
		{2, "NV_ENC_ERR_UNSUPPORTED_DEVICE"},
		{5, "NV_ENC_ERR_DEVICE_NOT_EXIST"},
		{8, "NV_ENC_ERR_INVALID_PARAM"},
		{10, "NV_ENC_ERR_OUT_OF_MEMORY"},
		{13, "NV_ENC_ERR_LOCK_BUSY"},
		{15, "NV_ENC_ERR_INVALID_VERSION"},
		{18, "NV_ENC_ERR_ENCODER_BUSY"},
		{19, "NV_ENC_ERR_EVENT_NOT_REGISTERD"}, // sic, as the header spells it
		{20, "NV_ENC_ERR_GENERIC"},
		{25, "NV_ENC_ERR_RESOURCE_NOT_MAPPED"},
		{26, "NVENCSTATUS(26)"},
		{-1, "NVENCSTATUS(-1)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("Status(%d) = %q, want %q", int32(tt.s), got, tt.want)
		}
	}
	seen := map[string]bool{}
	for s := range statusCount {
		name, meaning := s.String(), s.meaning()
		if !strings.HasPrefix(name, "NV_ENC_") || meaning == "" || seen[name] {
			t.Errorf("Status(%d): name %q, meaning %q (duplicate %v)", int32(s), name, meaning, seen[name])
		}
		seen[name] = true
	}
}

func TestStatusClasses(t *testing.T) {
	for s := range statusCount {
		classes := 0
		for _, c := range []bool{s.transient(), s.rejected(), s.noEncoder()} {
			if c {
				classes++
			}
		}
		if classes > 1 {
			t.Errorf("%v is in %d classes", s, classes)
		}
	}
	for _, s := range []Status{statusEncoderBusy, statusLockBusy} {
		if !s.transient() {
			t.Errorf("%v should be transient", s)
		}
	}
	for _, s := range []Status{statusOutOfMemory, statusDeviceNotExist, statusInvalidDevice, statusGeneric, statusNeedMoreInput} {
		if s.transient() || s.rejected() {
			t.Errorf("%v should lose the session", s)
		}
	}
	for _, s := range []Status{statusNoEncodeDevice, statusUnsupportedDevice} {
		if !s.noEncoder() {
			t.Errorf("%v should mean no encoder", s)
		}
	}
}

func TestStatusError(t *testing.T) {
	err := &StatusError{Op: "nvEncEncodePicture", Status: statusOutOfMemory, Detail: "cuMemAlloc failed"}
	want := "nvEncEncodePicture: NV_ENC_ERR_OUT_OF_MEMORY (out of memory, or out of encode sessions): cuMemAlloc failed"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	bare := &StatusError{Op: "nvEncLockBitstream", Status: statusDeviceNotExist}
	if got := bare.Error(); got != "nvEncLockBitstream: NV_ENC_ERR_DEVICE_NOT_EXIST (device lost or removed)" {
		t.Errorf("Error() = %q", got)
	}
}

// TestEncodeFailure checks what the session layer sees: ErrSessionLost,
// through errors.Is, exactly when the session cannot go on, and the NVENC
// status through errors.As in every case.
func TestEncodeFailure(t *testing.T) {
	busy := &StatusError{Op: "nvEncEncodePicture", Status: statusEncoderBusy}
	lost := &StatusError{Op: "nvEncEncodePicture", Status: statusDeviceNotExist}
	oom := &StatusError{Op: "nvEncLockBitstream", Status: statusOutOfMemory}
	tests := []struct {
		name     string
		err      *StatusError
		inRow    int
		wantLost bool
		wantText string
	}{
		{"busy once", busy, 1, false, "NV_ENC_ERR_ENCODER_BUSY"},
		{"busy for almost a second", busy, 59, false, "NV_ENC_ERR_ENCODER_BUSY"},
		{"busy for a second", busy, 60, true, "60 pictures in a row failed"},
		{"device gone", lost, 1, true, "NV_ENC_ERR_DEVICE_NOT_EXIST"},
		{"out of memory", oom, 1, true, "nvEncLockBitstream: NV_ENC_ERR_OUT_OF_MEMORY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := encodeFailure(tt.err, tt.inRow, 60)
			if got := errors.Is(err, ErrSessionLost); got != tt.wantLost {
				t.Errorf("errors.Is(%q, ErrSessionLost) = %v, want %v", err, got, tt.wantLost)
			}
			var serr *StatusError
			if !errors.As(err, &serr) || serr.Status != tt.err.Status {
				t.Errorf("errors.As(%q) did not give the status", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not mention %q", err, tt.wantText)
			}
		})
	}
}

func TestParseDriverVersion(t *testing.T) {
	tests := []struct{ text, want string }{
		{"NVRM version: NVIDIA UNIX x86_64 Kernel Module  470.57.02  Tue Jul 13 16:14:05 UTC 2021\nGCC version:  gcc version 9.3.0", "470.57.02"},
		{"NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release Build  (dvs-builder@U16-I3-B03-4-3)", "550.54.15"},
		{"NVRM version: NVIDIA UNIX aarch64 Kernel Module  535.104  Wed", "535.104"},
		{"NVRM version: something else", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := parseDriverVersion(tt.text); got != tt.want {
			t.Errorf("parseDriverVersion(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
