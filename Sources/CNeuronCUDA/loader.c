// Resolves the CUDA entry points of NeuronCUDA.h with dlopen/dlsym, never at link time.
#include "NeuronCUDA.h"
#include <dlfcn.h>
#include <stdio.h>

nk_cuda_api nk_cuda;

static char message[512];

typedef struct { const char *symbol; void **slot; } entry;

#define E(slot, symbol) { symbol, (void **)&nk_cuda.slot }

static const char *resolve(void *handle, const entry *entries, int count, const char *path) {
    for (int i = 0; i < count; i++) {
        void *f = dlsym(handle, entries[i].symbol);
        if (!f) {
            snprintf(message, sizeof message, "%s has no symbol %s", path, entries[i].symbol);
            return message;
        }
        *entries[i].slot = f;
    }
    return NULL;
}

const char *nk_cuda_preload(const char *path) {
    if (dlopen(path, RTLD_NOW | RTLD_GLOBAL)) return NULL;
    snprintf(message, sizeof message, "%s", dlerror());
    return message;
}

const char *nk_cuda_load(nk_cuda_library library, const char *path) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
        snprintf(message, sizeof message, "%s", dlerror());
        return message;
    }
    static const entry driver[] = {
        E(cuInit, "cuInit"), E(cuDriverGetVersion, "cuDriverGetVersion"), E(cuDeviceGetCount, "cuDeviceGetCount"),
        E(cuDeviceGet, "cuDeviceGet"), E(cuDeviceGetName, "cuDeviceGetName"),
        E(cuDeviceGetAttribute, "cuDeviceGetAttribute"), E(cuDeviceTotalMem, "cuDeviceTotalMem_v2"),
        E(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"), E(cuCtxSetCurrent, "cuCtxSetCurrent"),
        E(cuStreamCreate, "cuStreamCreate"), E(cuStreamSynchronize, "cuStreamSynchronize"),
        E(cuMemAlloc, "cuMemAlloc_v2"), E(cuMemFree, "cuMemFree_v2"), E(cuMemAllocHost, "cuMemAllocHost_v2"),
        E(cuMemFreeHost, "cuMemFreeHost"), E(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"),
        E(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"), E(cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2"),
        E(cuModuleLoadData, "cuModuleLoadData"), E(cuModuleGetFunction, "cuModuleGetFunction"),
        E(cuLaunchKernel, "cuLaunchKernel"), E(cuGetErrorString, "cuGetErrorString"),
        E(cuStreamBeginCapture, "cuStreamBeginCapture_v2"), E(cuStreamEndCapture, "cuStreamEndCapture"),
        E(cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags"), E(cuGraphLaunch, "cuGraphLaunch"),
        E(cuGraphExecDestroy, "cuGraphExecDestroy"), E(cuGraphDestroy, "cuGraphDestroy"),
    };
    static const entry nvrtc[] = {
        E(nvrtcVersion, "nvrtcVersion"), E(nvrtcGetSupportedArchs, "nvrtcGetSupportedArchs"),
        E(nvrtcGetNumSupportedArchs, "nvrtcGetNumSupportedArchs"), E(nvrtcCreateProgram, "nvrtcCreateProgram"),
        E(nvrtcCompileProgram, "nvrtcCompileProgram"), E(nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize"),
        E(nvrtcGetProgramLog, "nvrtcGetProgramLog"), E(nvrtcGetCUBINSize, "nvrtcGetCUBINSize"),
        E(nvrtcGetCUBIN, "nvrtcGetCUBIN"), E(nvrtcDestroyProgram, "nvrtcDestroyProgram"),
        E(nvrtcGetErrorString, "nvrtcGetErrorString"),
    };
    static const entry cublas[] = {
        E(cublasCreate, "cublasCreate_v2"), E(cublasSetStream, "cublasSetStream_v2"),
        E(cublasSetMathMode, "cublasSetMathMode"), E(cublasSetWorkspace, "cublasSetWorkspace_v2"), E(cublasSgemmStridedBatched, "cublasSgemmStridedBatched"),
        E(cublasDgemmStridedBatched, "cublasDgemmStridedBatched"),
        E(cublasGemmStridedBatchedEx, "cublasGemmStridedBatchedEx"),
    };
    static const entry cudnn[] = {
        E(cudnnGetVersion, "cudnnGetVersion"), E(cudnnCreate, "cudnnCreate"), E(cudnnSetStream, "cudnnSetStream"),
        E(cudnnCreateTensorDescriptor, "cudnnCreateTensorDescriptor"),
        E(cudnnSetTensor4dDescriptor, "cudnnSetTensor4dDescriptor"),
        E(cudnnDestroyTensorDescriptor, "cudnnDestroyTensorDescriptor"),
        E(cudnnCreateFilterDescriptor, "cudnnCreateFilterDescriptor"),
        E(cudnnSetFilter4dDescriptor, "cudnnSetFilter4dDescriptor"),
        E(cudnnDestroyFilterDescriptor, "cudnnDestroyFilterDescriptor"),
        E(cudnnCreateConvolutionDescriptor, "cudnnCreateConvolutionDescriptor"),
        E(cudnnSetConvolution2dDescriptor, "cudnnSetConvolution2dDescriptor"),
        E(cudnnSetConvolutionGroupCount, "cudnnSetConvolutionGroupCount"),
        E(cudnnSetConvolutionMathType, "cudnnSetConvolutionMathType"),
        E(cudnnDestroyConvolutionDescriptor, "cudnnDestroyConvolutionDescriptor"),
        E(cudnnGetConvolutionForwardAlgorithm_v7, "cudnnGetConvolutionForwardAlgorithm_v7"),
        E(cudnnGetConvolutionBackwardDataAlgorithm_v7, "cudnnGetConvolutionBackwardDataAlgorithm_v7"),
        E(cudnnGetConvolutionBackwardFilterAlgorithm_v7, "cudnnGetConvolutionBackwardFilterAlgorithm_v7"),
        E(cudnnGetConvolutionForwardWorkspaceSize, "cudnnGetConvolutionForwardWorkspaceSize"),
        E(cudnnGetConvolutionBackwardDataWorkspaceSize, "cudnnGetConvolutionBackwardDataWorkspaceSize"),
        E(cudnnGetConvolutionBackwardFilterWorkspaceSize, "cudnnGetConvolutionBackwardFilterWorkspaceSize"),
        E(cudnnConvolutionForward, "cudnnConvolutionForward"),
        E(cudnnConvolutionBackwardData, "cudnnConvolutionBackwardData"),
        E(cudnnConvolutionBackwardFilter, "cudnnConvolutionBackwardFilter"),
    };
    switch (library) {
    case NK_CUDA_DRIVER: return resolve(handle, driver, sizeof driver / sizeof *driver, path);
    case NK_CUDA_NVRTC: return resolve(handle, nvrtc, sizeof nvrtc / sizeof *nvrtc, path);
    case NK_CUDA_CUBLAS: return resolve(handle, cublas, sizeof cublas / sizeof *cublas, path);
    case NK_CUDA_CUDNN: return resolve(handle, cudnn, sizeof cudnn / sizeof *cudnn, path);
    }
    return "unknown library";
}
