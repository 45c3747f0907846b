//go:build cgo

#include "loader.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// nvx_log receives the loader's complaints ("Cannot load libcuda.so.1"),
// which it would otherwise print to stderr, and keeps the last one, with
// dlerror's reason, for the Go error. logctx is the driver's msg buffer.
static void nvx_log(void *logctx, const char *fmt, ...) {
	char *buf = logctx;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, NVX_MSG_LEN, fmt, ap);
	va_end(ap);
	while (n > 0 && n < NVX_MSG_LEN && buf[n - 1] == '\n')
		buf[--n] = 0;
	const char *why = dlerror();
	if (why && n >= 0 && n < NVX_MSG_LEN)
		snprintf(buf + n, NVX_MSG_LEN - n, ": %s", why);
}

#define FFNV_LOG_FUNC(logctx, msg, ...) nvx_log((logctx), (msg), __VA_ARGS__)
#define FFNV_DEBUG_LOG_FUNC(logctx, msg, ...)

// The one include of the loader in this package: it defines static
// functions, and every file that included it would get its own copy.
#include <ffnvcodec/dynlink_loader.h>

// minDriver in loader.go names the driver that SDK 11.1 needs; a newer
// header needs a newer driver, and the message must say which.
_Static_assert(NVENCAPI_MAJOR_VERSION == 11 && NVENCAPI_MINOR_VERSION == 1,
	"update minDriver and minAPI in loader.go for the new SDK");

nvx_driver *nvx_driver_new(void) { return calloc(1, sizeof(nvx_driver)); }

int nvx_load_cuda(nvx_driver *d) { return cuda_load_functions(&d->cu, d->msg); }

int nvx_load_nvenc(nvx_driver *d) { return nvenc_load_functions(&d->nv, d->msg); }

int nvx_cu_init(nvx_driver *d) { return d->cu->cuInit(0); }

int nvx_cu_count(nvx_driver *d, int *n) { return d->cu->cuDeviceGetCount(n); }

const char *nvx_cu_error_name(nvx_driver *d, int res) {
	const char *s = NULL;
	if (d->cu->cuGetErrorName((CUresult)res, &s) != CUDA_SUCCESS)
		return NULL;
	return s;
}

int nvx_gpu_name(nvx_driver *d, int gpu, char *name, int len) {
	CUdevice dev;
	CUresult r = d->cu->cuDeviceGet(&dev, gpu);
	if (r != CUDA_SUCCESS)
		return r;
	return d->cu->cuDeviceGetName(name, len, dev);
}

// nvx_gpu_uuid writes the GPU's 16-byte UUID to out; -1 when the driver
// lacks cuDeviceGetUuid (the loader treats it as optional).
int nvx_gpu_uuid(nvx_driver *d, int gpu, unsigned char *out) {
	if (!d->cu->cuDeviceGetUuid)
		return -1;
	CUdevice dev;
	CUresult r = d->cu->cuDeviceGet(&dev, gpu);
	if (r != CUDA_SUCCESS)
		return r;
	CUuuid u;
	r = d->cu->cuDeviceGetUuid(&u, dev);
	if (r == CUDA_SUCCESS)
		memcpy(out, u.bytes, sizeof u.bytes);
	return r;
}

static void nvx_release_gpu(nvx_driver *d) {
	if (d->ctx) {
		d->cu->cuDevicePrimaryCtxRelease(d->dev);
		d->ctx = NULL;
	}
}

// nvx_retain_gpu takes a reference on the GPU's primary context. Every
// session on a GPU shares it: a context of its own would cost each player
// GPU memory (tens to hundreds of megabytes) and context switches.
int nvx_retain_gpu(nvx_driver *d, int gpu) {
	nvx_release_gpu(d);
	CUresult r = d->cu->cuDeviceGet(&d->dev, gpu);
	if (r != CUDA_SUCCESS)
		return r;
	r = d->cu->cuDevicePrimaryCtxRetain(&d->ctx, d->dev);
	if (r != CUDA_SUCCESS)
		d->ctx = NULL;
	return r;
}

int nvx_nvenc_max_version(nvx_driver *d, uint32_t *v) {
	return d->nv->NvEncodeAPIGetMaxSupportedVersion(v);
}

int nvx_nvenc_instance(nvx_driver *d) {
	memset(&d->api, 0, sizeof d->api);
	d->api.version = NV_ENCODE_API_FUNCTION_LIST_VER;
	return d->nv->NvEncodeAPICreateInstance(&d->api);
}

void nvx_driver_free(nvx_driver *d) {
	if (!d)
		return;
	if (d->cu)
		nvx_release_gpu(d);
	nvenc_free_functions(&d->nv);
	cuda_free_functions(&d->cu);
	free(d);
}

int nvx_ctx_push(void *drv) {
	nvx_driver *d = drv;
	return d->cu->cuCtxPushCurrent(d->ctx);
}

void nvx_ctx_pop(void *drv) {
	nvx_driver *d = drv;
	CUcontext c;
	d->cu->cuCtxPopCurrent(&c);
}
