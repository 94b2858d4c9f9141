// A CUDA device emulated on the host, for testing the CUDA backend without a GPU.
//
// The library exports the driver, cuBLAS and cuDNN entry points Neuron loads (cuInit,
// cuLaunchKernel, cublasSgemmStridedBatched, cudnnConvolutionForward, …), so a folder holding it
// as `libcuda.so.1`, `libcublas.so.13` and `libcudnn.so.9` in NEURON_CUDA_LIBDIR makes `.cuda(0)`
// an emulated GPU. NVRTC is the real
// one: kernels are still compiled for the GPU, and run on the host from the same sources
// compiled as C++ (each thread of a block is a fiber, so __syncthreads, shared memory and warp
// shuffles behave as on the device). Work runs when it is queued; graph capture records it.
#ifndef NEURON_CUDA_EMULATOR_H
#define NEURON_CUDA_EMULATOR_H

// It has no API of its own: everything is the CUDA entry points it exports.

#endif
