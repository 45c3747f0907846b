package nvenc

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSessionLost is wrapped by every Encode error after which the session
// cannot continue: the GPU fell off the bus or was reset, its memory ran
// out, or the encoder stopped answering. The caller should close the
// encoder and carry the stream on in software (x264), starting with an IDR.
// Errors that do not wrap it concern one picture only (a bad picture, one
// busy hardware slot); the next Encode may succeed.
var ErrSessionLost = errors.New("nvenc: encode session lost")

// Status is an NVENCSTATUS code, as NVENC API calls return it.
type Status int32

// The NVENCSTATUS codes of nvEncodeAPI.h. The header gives them no explicit
// values, so they count up from 0 in its order; a test compares this list
// with the installed header.
const (
	statusSuccess Status = iota
	statusNoEncodeDevice
	statusUnsupportedDevice
	statusInvalidEncoderDevice
	statusInvalidDevice
	statusDeviceNotExist
	statusInvalidPtr
	statusInvalidEvent
	statusInvalidParam
	statusInvalidCall
	statusOutOfMemory
	statusEncoderNotInitialized
	statusUnsupportedParam
	statusLockBusy
	statusNotEnoughBuffer
	statusInvalidVersion
	statusMapFailed
	statusNeedMoreInput
	statusEncoderBusy
	statusEventNotRegistered
	statusGeneric
	statusIncompatibleClientKey
	statusUnimplemented
	statusResourceRegisterFailed
	statusResourceNotRegistered
	statusResourceNotMapped
	statusCount
)

// statusTable names each code as the header does, so logs can be searched
// against NVIDIA's documentation, and says in a few words what it means.
var statusTable = [statusCount]struct{ name, meaning string }{
	statusSuccess:                {"NV_ENC_SUCCESS", "success"},
	statusNoEncodeDevice:         {"NV_ENC_ERR_NO_ENCODE_DEVICE", "no encode-capable device"},
	statusUnsupportedDevice:      {"NV_ENC_ERR_UNSUPPORTED_DEVICE", "device does not support encoding"},
	statusInvalidEncoderDevice:   {"NV_ENC_ERR_INVALID_ENCODERDEVICE", "invalid encoder device"},
	statusInvalidDevice:          {"NV_ENC_ERR_INVALID_DEVICE", "invalid device (lost or reset)"},
	statusDeviceNotExist:         {"NV_ENC_ERR_DEVICE_NOT_EXIST", "device lost or removed"},
	statusInvalidPtr:             {"NV_ENC_ERR_INVALID_PTR", "invalid pointer"},
	statusInvalidEvent:           {"NV_ENC_ERR_INVALID_EVENT", "invalid completion event"},
	statusInvalidParam:           {"NV_ENC_ERR_INVALID_PARAM", "invalid parameter"},
	statusInvalidCall:            {"NV_ENC_ERR_INVALID_CALL", "call out of sequence"},
	statusOutOfMemory:            {"NV_ENC_ERR_OUT_OF_MEMORY", "out of memory, or out of encode sessions"},
	statusEncoderNotInitialized:  {"NV_ENC_ERR_ENCODER_NOT_INITIALIZED", "encoder not initialized"},
	statusUnsupportedParam:       {"NV_ENC_ERR_UNSUPPORTED_PARAM", "unsupported parameter"},
	statusLockBusy:               {"NV_ENC_ERR_LOCK_BUSY", "buffer still in use by the hardware"},
	statusNotEnoughBuffer:        {"NV_ENC_ERR_NOT_ENOUGH_BUFFER", "buffer too small"},
	statusInvalidVersion:         {"NV_ENC_ERR_INVALID_VERSION", "struct or API version not supported by the driver"},
	statusMapFailed:              {"NV_ENC_ERR_MAP_FAILED", "mapping an input resource failed"},
	statusNeedMoreInput:          {"NV_ENC_ERR_NEED_MORE_INPUT", "encoder holds the picture back"},
	statusEncoderBusy:            {"NV_ENC_ERR_ENCODER_BUSY", "hardware encoder busy"},
	statusEventNotRegistered:     {"NV_ENC_ERR_EVENT_NOT_REGISTERD", "completion event not registered"},
	statusGeneric:                {"NV_ENC_ERR_GENERIC", "unknown driver failure"},
	statusIncompatibleClientKey:  {"NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY", "incompatible client key"},
	statusUnimplemented:          {"NV_ENC_ERR_UNIMPLEMENTED", "not implemented by this driver or GPU"},
	statusResourceRegisterFailed: {"NV_ENC_ERR_RESOURCE_REGISTER_FAILED", "registering an input resource failed"},
	statusResourceNotRegistered:  {"NV_ENC_ERR_RESOURCE_NOT_REGISTERED", "input resource not registered"},
	statusResourceNotMapped:      {"NV_ENC_ERR_RESOURCE_NOT_MAPPED", "input resource not mapped"},
}

// String is the header's name of s, or NVENCSTATUS(n) for a code newer than
// the header.
func (s Status) String() string {
	if s >= 0 && s < statusCount {
		return statusTable[s].name
	}
	return fmt.Sprintf("NVENCSTATUS(%d)", int32(s))
}

func (s Status) meaning() string {
	if s >= 0 && s < statusCount {
		return statusTable[s].meaning
	}
	return "unknown status"
}

// transient reports whether a failure may clear by itself: the hardware was
// busy this time, and the next picture may go through on the same session.
func (s Status) transient() bool {
	return s == statusEncoderBusy || s == statusLockBusy
}

// rejected reports whether the driver refused the parameters of one call
// and left the session as it was (a bitrate the GPU will not take, say).
func (s Status) rejected() bool {
	return s == statusInvalidParam || s == statusUnsupportedParam
}

// noEncoder reports whether nvEncOpenEncodeSessionEx failed because the
// GPU has no usable encoder engine, as on H100 and H200.
func (s Status) noEncoder() bool {
	switch s {
	case statusNoEncodeDevice, statusUnsupportedDevice, statusInvalidEncoderDevice, statusUnimplemented:
		return true
	}
	return false
}

// StatusError is a failed NVENC API call.
type StatusError struct {
	// Op is the API function, e.g. "nvEncEncodePicture".
	Op     string
	Status Status
	// Detail is nvEncGetLastErrorString's text, when the driver gave one.
	Detail string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s: %s (%s)", e.Op, e.Status, e.Status.meaning())
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// encodeFailure classifies an error from the per-picture path. A transient
// status is returned as it is while fewer than limit pictures in a row have
// failed; anything else, or a transient failure that has lasted limit
// pictures, means the session is lost.
func encodeFailure(err *StatusError, failuresInRow, limit int) error {
	if err.Status.transient() && failuresInRow < limit {
		return err
	}
	if err.Status.transient() {
		return fmt.Errorf("%w: %d pictures in a row failed: %w", ErrSessionLost, failuresInRow, err)
	}
	return fmt.Errorf("%w: %w", ErrSessionLost, err)
}

// parseDriverVersion returns the kernel module version from the text of
// /proc/driver/nvidia/version, or "" when it is not there. The line reads
// "NVRM version: NVIDIA UNIX x86_64 Kernel Module  470.57.02  Tue Jul ..."
// or, for the open modules, "... Open Kernel Module for x86_64  535.104.05 ...".
func parseDriverVersion(text string) string {
	_, rest, ok := strings.Cut(text, "Kernel Module")
	if !ok {
		return ""
	}
	for _, f := range strings.Fields(rest) {
		if isVersion(f) {
			return f
		}
	}
	return ""
}

// isVersion matches 470.57.02 or 550.54: two or three dot-separated runs
// of digits.
func isVersion(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}
