// The few CUDA driver, NVRTC and cuBLAS entry points Neuron uses, declared by hand so that the
// package builds without a CUDA toolkit. They are resolved at run time with dlopen into one
// table (`nk_cuda`); tests may fill the table with fakes instead.
#ifndef NEURON_CUDA_H
#define NEURON_CUDA_H

#include <stddef.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef int nvrtcResult;
typedef struct _nvrtcProgram *nvrtcProgram;
typedef int cublasStatus_t;
typedef struct cublasContext *cublasHandle_t;
typedef struct CUgraph_st *CUgraph;
typedef int cudnnStatus_t;
typedef struct cudnnContext *cudnnHandle_t;
typedef struct cudnnTensorStruct *cudnnTensorDescriptor_t;
typedef struct cudnnFilterStruct *cudnnFilterDescriptor_t;
typedef struct cudnnConvolutionStruct *cudnnConvolutionDescriptor_t;

/// cudnnConvolutionFwdAlgoPerf_t, cudnnConvolutionBwdDataAlgoPerf_t and
/// cudnnConvolutionBwdFilterAlgoPerf_t share this layout.
typedef struct {
    int algo;
    cudnnStatus_t status;
    float time;
    size_t memory;
    int determinism;
    int mathType;
    int reserved[3];
} nk_cudnn_algo_perf;
typedef struct CUgraphExec_st *CUgraphExec;

/// CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR, _MULTIPROCESSOR_COUNT.
#define NK_CU_ATTRIBUTE_CC_MAJOR 75
#define NK_CU_ATTRIBUTE_CC_MINOR 76
#define NK_CU_ATTRIBUTE_SM_COUNT 16
/// CUBLAS_OP_N, CUBLAS_OP_T; CUBLAS_DEFAULT_MATH (no TF32), CUBLAS_TF32_TENSOR_OP_MATH.
#define NK_CUBLAS_OP_N 0
#define NK_CUBLAS_OP_T 1
#define NK_CUBLAS_DEFAULT_MATH 0
#define NK_CUBLAS_TF32_MATH 3
/// CUDA_R_32F, CUDA_R_16BF; CUBLAS_COMPUTE_32F; CUBLAS_GEMM_DEFAULT.
#define NK_CUDA_R_32F 0
#define NK_CUDA_R_16BF 14
#define NK_CUBLAS_COMPUTE_32F 68
#define NK_CUBLAS_GEMM_DEFAULT (-1)
/// CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT/DOUBLE, CUDNN_CROSS_CORRELATION, CUDNN_FMA_MATH (no TF32).
#define NK_CUDNN_NCHW 0
#define NK_CUDNN_FLOAT 0
#define NK_CUDNN_DOUBLE 1
#define NK_CUDNN_CROSS_CORRELATION 1
#define NK_CUDNN_FMA_MATH 3
/// CU_STREAM_CAPTURE_MODE_RELAXED: other threads may allocate while a stream captures.
#define NK_CU_STREAM_CAPTURE_MODE_RELAXED 2

typedef struct nk_cuda_api {
    // Driver (libcuda.so.1).
    CUresult (*cuInit)(unsigned flags);
    CUresult (*cuDriverGetVersion)(int *version);
    CUresult (*cuDeviceGetCount)(int *count);
    CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
    CUresult (*cuDeviceGetName)(char *name, int length, CUdevice device);
    CUresult (*cuDeviceGetAttribute)(int *value, int attribute, CUdevice device);
    CUresult (*cuDeviceTotalMem)(size_t *bytes, CUdevice device);
    CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *context, CUdevice device);
    CUresult (*cuCtxSetCurrent)(CUcontext context);
    CUresult (*cuStreamCreate)(CUstream *stream, unsigned flags);
    CUresult (*cuStreamSynchronize)(CUstream stream);
    CUresult (*cuMemAlloc)(CUdeviceptr *pointer, size_t bytes);
    CUresult (*cuMemFree)(CUdeviceptr pointer);
    CUresult (*cuMemAllocHost)(void **pointer, size_t bytes);
    CUresult (*cuMemFreeHost)(void *pointer);
    CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr destination, const void *source, size_t bytes, CUstream stream);
    CUresult (*cuMemcpyDtoHAsync)(void *destination, CUdeviceptr source, size_t bytes, CUstream stream);
    CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr destination, CUdeviceptr source, size_t bytes, CUstream stream);
    CUresult (*cuModuleLoadData)(CUmodule *module, const void *image);
    CUresult (*cuModuleGetFunction)(CUfunction *function, CUmodule module, const char *name);
    CUresult (*cuLaunchKernel)(CUfunction function, unsigned gridX, unsigned gridY, unsigned gridZ,
                               unsigned blockX, unsigned blockY, unsigned blockZ, unsigned sharedBytes,
                               CUstream stream, void **parameters, void **extra);
    CUresult (*cuGetErrorString)(CUresult error, const char **text);
    CUresult (*cuStreamBeginCapture)(CUstream stream, int mode);
    CUresult (*cuStreamEndCapture)(CUstream stream, CUgraph *graph);
    CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *executable, CUgraph graph, unsigned long long flags);
    CUresult (*cuGraphLaunch)(CUgraphExec executable, CUstream stream);
    CUresult (*cuGraphExecDestroy)(CUgraphExec executable);
    CUresult (*cuGraphDestroy)(CUgraph graph);

    // NVRTC (libnvrtc.so.13, after libnvrtc-builtins.so.13.* with RTLD_GLOBAL).
    nvrtcResult (*nvrtcVersion)(int *major, int *minor);
    nvrtcResult (*nvrtcGetSupportedArchs)(int *architectures);
    nvrtcResult (*nvrtcGetNumSupportedArchs)(int *count);
    nvrtcResult (*nvrtcCreateProgram)(nvrtcProgram *program, const char *source, const char *name, int headerCount,
                                      const char *const *headers, const char *const *includeNames);
    nvrtcResult (*nvrtcCompileProgram)(nvrtcProgram program, int optionCount, const char *const *options);
    nvrtcResult (*nvrtcGetProgramLogSize)(nvrtcProgram program, size_t *size);
    nvrtcResult (*nvrtcGetProgramLog)(nvrtcProgram program, char *log);
    nvrtcResult (*nvrtcGetCUBINSize)(nvrtcProgram program, size_t *size);
    nvrtcResult (*nvrtcGetCUBIN)(nvrtcProgram program, char *cubin);
    nvrtcResult (*nvrtcDestroyProgram)(nvrtcProgram *program);
    const char *(*nvrtcGetErrorString)(nvrtcResult result);

    // cuBLAS (libcublas.so.13, after libcublasLt.so.13).
    cublasStatus_t (*cublasCreate)(cublasHandle_t *handle);
    cublasStatus_t (*cublasSetStream)(cublasHandle_t handle, CUstream stream);
    cublasStatus_t (*cublasSetMathMode)(cublasHandle_t handle, int mode);
    cublasStatus_t (*cublasSetWorkspace)(cublasHandle_t handle, void *workspace, size_t bytes);
    cublasStatus_t (*cublasSgemmStridedBatched)(cublasHandle_t handle, int transa, int transb, int m, int n, int k,
                                                const float *alpha, const float *a, int lda, long long strideA,
                                                const float *b, int ldb, long long strideB, const float *beta,
                                                float *c, int ldc, long long strideC, int batchCount);
    cublasStatus_t (*cublasDgemmStridedBatched)(cublasHandle_t handle, int transa, int transb, int m, int n, int k,
                                                const double *alpha, const double *a, int lda, long long strideA,
                                                const double *b, int ldb, long long strideB, const double *beta,
                                                double *c, int ldc, long long strideC, int batchCount);
    cublasStatus_t (*cublasGemmStridedBatchedEx)(cublasHandle_t handle, int transa, int transb, int m, int n, int k,
                                                 const void *alpha, const void *a, int aType, int lda, long long strideA,
                                                 const void *b, int bType, int ldb, long long strideB, const void *beta,
                                                 void *c, int cType, int ldc, long long strideC, int batchCount,
                                                 int computeType, int algo);

    // cuDNN 9 (libcudnn.so.9), optional: the legacy convolution API.
    size_t (*cudnnGetVersion)(void);
    cudnnStatus_t (*cudnnCreate)(cudnnHandle_t *handle);
    cudnnStatus_t (*cudnnSetStream)(cudnnHandle_t handle, CUstream stream);
    cudnnStatus_t (*cudnnCreateTensorDescriptor)(cudnnTensorDescriptor_t *descriptor);
    cudnnStatus_t (*cudnnSetTensor4dDescriptor)(cudnnTensorDescriptor_t descriptor, int format, int dataType, int n, int c,
                                                int h, int w);
    cudnnStatus_t (*cudnnDestroyTensorDescriptor)(cudnnTensorDescriptor_t descriptor);
    cudnnStatus_t (*cudnnCreateFilterDescriptor)(cudnnFilterDescriptor_t *descriptor);
    cudnnStatus_t (*cudnnSetFilter4dDescriptor)(cudnnFilterDescriptor_t descriptor, int dataType, int format, int k, int c,
                                                int h, int w);
    cudnnStatus_t (*cudnnDestroyFilterDescriptor)(cudnnFilterDescriptor_t descriptor);
    cudnnStatus_t (*cudnnCreateConvolutionDescriptor)(cudnnConvolutionDescriptor_t *descriptor);
    cudnnStatus_t (*cudnnSetConvolution2dDescriptor)(cudnnConvolutionDescriptor_t descriptor, int padH, int padW, int strideH,
                                                     int strideW, int dilationH, int dilationW, int mode, int computeType);
    cudnnStatus_t (*cudnnSetConvolutionGroupCount)(cudnnConvolutionDescriptor_t descriptor, int groups);
    cudnnStatus_t (*cudnnSetConvolutionMathType)(cudnnConvolutionDescriptor_t descriptor, int mathType);
    cudnnStatus_t (*cudnnDestroyConvolutionDescriptor)(cudnnConvolutionDescriptor_t descriptor);
    cudnnStatus_t (*cudnnGetConvolutionForwardAlgorithm_v7)(cudnnHandle_t handle, cudnnTensorDescriptor_t x,
                                                            cudnnFilterDescriptor_t w, cudnnConvolutionDescriptor_t conv,
                                                            cudnnTensorDescriptor_t y, int requested, int *returned,
                                                            nk_cudnn_algo_perf *results);
    cudnnStatus_t (*cudnnGetConvolutionBackwardDataAlgorithm_v7)(cudnnHandle_t handle, cudnnFilterDescriptor_t w,
                                                                 cudnnTensorDescriptor_t dy, cudnnConvolutionDescriptor_t conv,
                                                                 cudnnTensorDescriptor_t dx, int requested, int *returned,
                                                                 nk_cudnn_algo_perf *results);
    cudnnStatus_t (*cudnnGetConvolutionBackwardFilterAlgorithm_v7)(cudnnHandle_t handle, cudnnTensorDescriptor_t x,
                                                                   cudnnTensorDescriptor_t dy, cudnnConvolutionDescriptor_t conv,
                                                                   cudnnFilterDescriptor_t dw, int requested, int *returned,
                                                                   nk_cudnn_algo_perf *results);
    cudnnStatus_t (*cudnnGetConvolutionForwardWorkspaceSize)(cudnnHandle_t handle, cudnnTensorDescriptor_t x,
                                                             cudnnFilterDescriptor_t w, cudnnConvolutionDescriptor_t conv,
                                                             cudnnTensorDescriptor_t y, int algo, size_t *bytes);
    cudnnStatus_t (*cudnnGetConvolutionBackwardDataWorkspaceSize)(cudnnHandle_t handle, cudnnFilterDescriptor_t w,
                                                                  cudnnTensorDescriptor_t dy, cudnnConvolutionDescriptor_t conv,
                                                                  cudnnTensorDescriptor_t dx, int algo, size_t *bytes);
    cudnnStatus_t (*cudnnGetConvolutionBackwardFilterWorkspaceSize)(cudnnHandle_t handle, cudnnTensorDescriptor_t x,
                                                                    cudnnTensorDescriptor_t dy,
                                                                    cudnnConvolutionDescriptor_t conv,
                                                                    cudnnFilterDescriptor_t dw, int algo, size_t *bytes);
    cudnnStatus_t (*cudnnConvolutionForward)(cudnnHandle_t handle, const void *alpha, cudnnTensorDescriptor_t xDesc,
                                             const void *x, cudnnFilterDescriptor_t wDesc, const void *w,
                                             cudnnConvolutionDescriptor_t conv, int algo, void *workspace, size_t bytes,
                                             const void *beta, cudnnTensorDescriptor_t yDesc, void *y);
    cudnnStatus_t (*cudnnConvolutionBackwardData)(cudnnHandle_t handle, const void *alpha, cudnnFilterDescriptor_t wDesc,
                                                  const void *w, cudnnTensorDescriptor_t dyDesc, const void *dy,
                                                  cudnnConvolutionDescriptor_t conv, int algo, void *workspace, size_t bytes,
                                                  const void *beta, cudnnTensorDescriptor_t dxDesc, void *dx);
    cudnnStatus_t (*cudnnConvolutionBackwardFilter)(cudnnHandle_t handle, const void *alpha, cudnnTensorDescriptor_t xDesc,
                                                    const void *x, cudnnTensorDescriptor_t dyDesc, const void *dy,
                                                    cudnnConvolutionDescriptor_t conv, int algo, void *workspace,
                                                    size_t bytes, const void *beta, cudnnFilterDescriptor_t dwDesc, void *dw);
} nk_cuda_api;

/// The process's table; all entries are NULL until a library is loaded.
extern nk_cuda_api nk_cuda;

/// The libraries `nk_cuda_load` knows.
typedef enum { NK_CUDA_DRIVER = 0, NK_CUDA_NVRTC = 1, NK_CUDA_CUBLAS = 2, NK_CUDA_CUDNN = 3 } nk_cuda_library;

/// dlopens `path` (with RTLD_GLOBAL, so that later libraries find it) and resolves the entries
/// of `library` into `nk_cuda`. Returns NULL, or a message naming the file or the missing symbol
/// (valid until the next call).
const char *nk_cuda_load(nk_cuda_library library, const char *path);

/// dlopens a library only for its symbols (NVRTC's builtins, cuBLASLt): NULL or a message.
const char *nk_cuda_preload(const char *path);

#endif
