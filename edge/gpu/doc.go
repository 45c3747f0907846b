// Package gpu tells the edge which NVIDIA GPUs it has and how much video
// encoding each can still take, so admission can put a new session on a GPU
// with a free NVENC engine and fall back to software (x264) when there is
// none.
//
// The figures come from NVML (libnvidia-ml.so.1, through go-nvml). NVML is
// loaded at run time, so one binary runs on machines with and without
// NVIDIA GPUs: Open returns ErrNoDriver where the library is missing, and the
// edge then encodes in software. Data-centre GPUs such as the H100 and H200
// have no NVENC engine at all, and the inventory says so (HasNVENC false)
// instead of letting sessions fail when they open an encoder. NVML's encoder
// capacity alone does not tell: driver 580 on an H200 reports 100% of an
// encoder left. So the engine count that MIG-capable GPUs list in their
// instance profiles decides where there is one, and a table of models
// without NVENC where there is not.
//
// A GPU that disappears (fallen off the bus, ERROR_GPU_IS_LOST) keeps an
// entry with Err set, and Inventory.Degraded reports it, so the edge can
// stop admitting players and say so in gossip.
//
// The package needs cgo, like go-nvml. Built without cgo it still compiles,
// so the rest of the edge builds everywhere, but Open reports ErrNoDriver.
package gpu
