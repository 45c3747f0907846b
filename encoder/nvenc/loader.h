// The C half of loader.go: the driver's libraries, loaded at run time, and
// the CUDA context of the GPU in use.
#ifndef STRATUS_NVENC_LOADER_H
#define STRATUS_NVENC_LOADER_H

#include <stdint.h>
#include <ffnvcodec/dynlink_cuda.h>
#include <ffnvcodec/nvEncodeAPI.h>

enum { NVX_MSG_LEN = 512 };

// nvx_driver is one user's handle on the driver: the two libraries, the
// NVENC function table, and the primary context of the GPU in use.
typedef struct {
	struct CudaFunctions *cu;
	struct NvencFunctions *nv;
	NV_ENCODE_API_FUNCTION_LIST api;
	CUdevice dev;
	CUcontext ctx;
	char msg[NVX_MSG_LEN];
} nvx_driver;

nvx_driver *nvx_driver_new(void);
int nvx_load_cuda(nvx_driver *d);
int nvx_load_nvenc(nvx_driver *d);
int nvx_cu_init(nvx_driver *d);
int nvx_cu_count(nvx_driver *d, int *n);
const char *nvx_cu_error_name(nvx_driver *d, int res);
int nvx_gpu_name(nvx_driver *d, int gpu, char *name, int len);
int nvx_gpu_uuid(nvx_driver *d, int gpu, unsigned char *out);
int nvx_retain_gpu(nvx_driver *d, int gpu);
int nvx_nvenc_max_version(nvx_driver *d, uint32_t *v);
int nvx_nvenc_instance(nvx_driver *d);
void nvx_driver_free(nvx_driver *d);

// nvx_ctx_push and nvx_ctx_pop make the GPU's context current on the
// calling thread for the span of one C call (the session's C brackets its
// NVENC calls with them). Go may move a goroutine to another thread
// between cgo calls, so a context never stays current across them. drv is
// an nvx_driver.
int nvx_ctx_push(void *drv);
void nvx_ctx_pop(void *drv);

#endif
