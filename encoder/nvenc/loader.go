//go:build cgo

package nvenc

/*
#cgo pkg-config: ffnvcodec
#cgo linux LDFLAGS: -ldl
#include "loader.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unsafe"

	"stratus/encoder"
)

// minDriver is the oldest Linux driver whose NVENC speaks minAPI, the API
// of the nv-codec-headers this package is built with (SDK 11.1).
const (
	minDriver = "470.57.02"
	minAPI    = "11.1"
)

// cudaErrorNoDevice is CUDA_ERROR_NO_DEVICE, which the loader's trimmed
// copy of cuda.h leaves out.
const cudaErrorNoDevice = 100

// driver is the NVIDIA driver, loaded at run time: the package links
// neither libcuda nor libnvidia-encode, so the binary starts on machines
// without them and reports why NVENC is missing instead.
type driver struct {
	c    *C.nvx_driver
	gpus int
}

func unavailable(format string, args ...any) error {
	return fmt.Errorf("nvenc: "+format+": %w", append(args, encoder.ErrUnavailable)...)
}

// loadDriver loads libcuda and libnvidia-encode, starts CUDA and checks
// that the driver speaks the NVENC API this package was built for. Every
// error wraps encoder.ErrUnavailable and says which step failed, because
// the operator reading it has to fix a different thing for each.
func loadDriver() (*driver, error) {
	d := &driver{c: C.nvx_driver_new()}
	if d.c == nil {
		return nil, errors.New("nvenc: out of memory")
	}
	if err := d.load(); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *driver) load() error {
	if C.nvx_load_cuda(d.c) != 0 {
		msg := d.message()
		if strings.Contains(msg, "libcuda.so.1") {
			if strings.Contains(msg, "cannot open shared object file") {
				return unavailable("no NVIDIA driver (libcuda.so.1 not found)")
			}
			return unavailable("NVIDIA driver unusable (%s)", msg)
		}
		// libcuda loaded but lacks a function the loader wants.
		return unavailable("NVIDIA driver too old or incomplete (%s)", msg)
	}
	if r := C.nvx_cu_init(d.c); r != 0 {
		if r == cudaErrorNoDevice {
			return unavailable("NVIDIA driver found but no GPU")
		}
		return unavailable("NVIDIA driver found but CUDA did not start (cuInit: %s)", d.cudaError(r))
	}
	var n C.int
	if r := C.nvx_cu_count(d.c, &n); r != 0 {
		return unavailable("NVIDIA driver found but counting GPUs failed (cuDeviceGetCount: %s)", d.cudaError(r))
	}
	if n == 0 {
		return unavailable("NVIDIA driver found but no GPU")
	}
	d.gpus = int(n)
	if C.nvx_load_nvenc(d.c) != 0 {
		// Containers get libnvidia-encode only with the "video" driver
		// capability; data-centre installs sometimes leave it out.
		return unavailable("NVIDIA driver found but its encoder library is missing (%s; in a container, add \"video\" to NVIDIA_DRIVER_CAPABILITIES)", d.message())
	}
	var v C.uint32_t
	if st := C.nvx_nvenc_max_version(d.c, &v); st != 0 {
		return unavailable("NVIDIA driver found but NvEncodeAPIGetMaxSupportedVersion failed: %s", Status(st))
	}
	need := C.uint32_t(C.NVENCAPI_MAJOR_VERSION<<4 | C.NVENCAPI_MINOR_VERSION)
	if v < need {
		return d.tooOld(fmt.Sprintf("NVENC API %d.%d", v>>4, v&0xf))
	}
	if st := C.nvx_nvenc_instance(d.c); st != 0 {
		if Status(st) == statusInvalidVersion {
			return d.tooOld("NvEncodeAPICreateInstance: " + Status(st).String())
		}
		return unavailable("NVIDIA driver found but NvEncodeAPICreateInstance failed: %s", Status(st))
	}
	return nil
}

func (d *driver) tooOld(found string) error {
	if b, err := os.ReadFile("/proc/driver/nvidia/version"); err == nil {
		if v := parseDriverVersion(string(b)); v != "" {
			found = "driver " + v + ", " + found
		}
	}
	return unavailable("driver too old (needs ≥ %s for SDK %s; found %s)", minDriver, minAPI, found)
}

// message is the loader's last complaint.
func (d *driver) message() string {
	return C.GoString(&d.c.msg[0])
}

func (d *driver) cudaError(r C.int) string {
	if name := C.nvx_cu_error_name(d.c, r); name != nil {
		return C.GoString(name)
	}
	return fmt.Sprintf("CUresult %d", int(r))
}

// gpuName is the CUDA device name, e.g. "NVIDIA L4".
func (d *driver) gpuName(gpu int) (string, error) {
	if gpu < 0 || gpu >= d.gpus {
		return "", unavailable("GPU index %d: this machine has %d GPU(s)", gpu, d.gpus)
	}
	var buf [256]C.char
	if r := C.nvx_gpu_name(d.c, C.int(gpu), &buf[0], C.int(len(buf))); r != 0 {
		return "", unavailable("GPU %d: cuDeviceGetName: %s", gpu, d.cudaError(r))
	}
	return C.GoString(&buf[0]), nil
}

// ordinal finds the CUDA index of the GPU NVML calls uuid.
func (d *driver) ordinal(uuid string) (int, error) {
	for i := range d.gpus {
		var b [16]C.uchar
		if r := C.nvx_gpu_uuid(d.c, C.int(i), &b[0]); r != 0 {
			if r == -1 {
				return 0, unavailable("GPU %s: the driver cannot report GPU UUIDs (no cuDeviceGetUuid)", uuid)
			}
			return 0, unavailable("GPU %d: cuDeviceGetUuid: %s", i, d.cudaError(r))
		}
		var u [16]byte
		for j := range b {
			u[j] = byte(b[j])
		}
		if sameUUID(formatUUID(u), uuid) {
			return i, nil
		}
	}
	return 0, unavailable("GPU %s: not among the %d GPU(s) CUDA sees", uuid, d.gpus)
}

// useGPU makes gpu the driver's GPU, holding its primary context until
// close or the next useGPU.
func (d *driver) useGPU(gpu int) (name string, err error) {
	if name, err = d.gpuName(gpu); err != nil {
		return "", err
	}
	if r := C.nvx_retain_gpu(d.c, C.int(gpu)); r != 0 {
		return "", unavailable("GPU %s (index %d): no CUDA context (cuDevicePrimaryCtxRetain: %s)", name, gpu, d.cudaError(r))
	}
	return name, nil
}

// api is the NVENC function table; it lives in C memory as long as d.
func (d *driver) api() *C.NV_ENCODE_API_FUNCTION_LIST { return &d.c.api }

// context is the CUDA context that sessions open on.
func (d *driver) context() unsafe.Pointer { return unsafe.Pointer(d.c.ctx) }

// handle is d as the session's C sees it, for nvx_ctx_push/pop.
func (d *driver) handle() unsafe.Pointer { return unsafe.Pointer(d.c) }

func (d *driver) close() {
	if d == nil || d.c == nil {
		return
	}
	C.nvx_driver_free(d.c)
	d.c = nil
}

// Probe reports whether this machine can encode with NVENC: it loads the
// driver, starts CUDA, and opens (and closes) an H.264 encode session on
// each GPU until one works. It returns nil if one does, and otherwise an
// error wrapping encoder.ErrUnavailable that says why, for example:
//
//	nvenc: no NVIDIA driver (libcuda.so.1 not found)
//	nvenc: NVIDIA driver found but no GPU
//	nvenc: GPU NVIDIA H100 80GB HBM3 (index 0) has no NVENC engine (...)
//	nvenc: driver too old (needs ≥ 470.57.02 for SDK 11.1; found ...)
//
// Opening a session takes one of the GPU's encode sessions for a moment,
// which matters on GeForce cards, whose driver caps concurrent sessions.
func Probe() error {
	d, err := loadDriver()
	if err != nil {
		return err
	}
	defer d.close()
	var errs []error
	for gpu := range d.gpus {
		if err := d.probe(gpu); err != nil {
			errs = append(errs, err)
			continue
		}
		return nil
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return fmt.Errorf("nvenc: none of the %d GPUs can encode: %w", len(errs), errors.Join(errs...))
}

// ProbeGPU is Probe for the GPU with CUDA device index gpu, for placing
// sessions on machines with several GPUs.
func ProbeGPU(gpu int) error {
	d, err := loadDriver()
	if err != nil {
		return err
	}
	defer d.close()
	return d.probe(gpu)
}

func (d *driver) probe(gpu int) error {
	name, err := d.useGPU(gpu)
	if err != nil {
		return err
	}
	s, err := openSession(d, gpu, name, codecH264)
	if err != nil {
		return err
	}
	s.close()
	return nil
}
