// A CUDA device emulated on the host, for testing the CUDA backend without a GPU.
//
// The library exports the driver and cuBLAS entry points Neuron loads (cuInit, cuLaunchKernel,
// cublasSgemmStridedBatched, …), so a folder holding it as `libcuda.so.1` and
// `libcublas.so.13` in NEURON_CUDA_LIBDIR makes `.cuda(0)` an emulated GPU. NVRTC is the real
// one: kernels are still compiled for the GPU, and run on the host from the same sources
// compiled as C++ (each thread of a block is a fiber, so __syncthreads, shared memory and warp
// shuffles behave as on the device). Work runs when it is queued; graph capture records it.
#ifndef NEURON_CUDA_EMULATOR_H
#define NEURON_CUDA_EMULATOR_H

#ifdef __cplusplus
extern "C" {
#endif
/// How many kernels ran since the library was loaded (for tests).
long long nk_emulator_launch_count(void);
#ifdef __cplusplus
}
#endif

#endif
