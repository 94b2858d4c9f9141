// The driver and cuBLAS entry points Neuron loads, over host memory. Streams run their work
// at once (so synchronising only reports); a capturing stream records it into a graph that
// cuGraphLaunch replays, and refuses what CUDA refuses while capturing (synchronising).
#include "emulator.h"
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

namespace {
constexpr CUresult success = 0, invalidValue = 1, notFound = 500, captureUnsupported = 900, captureInvalidated = 901;

std::recursive_mutex queueLock;

struct Graph {
    std::vector<std::function<void()>> work;
};
/// The graph being recorded, while the stream captures.
Graph *recording = nullptr;

void *pointer(CUdeviceptr p) { return (void *)(uintptr_t)p; }
}  // namespace

namespace nk_emu {
void enqueue(std::function<void()> work) {
    std::lock_guard<std::recursive_mutex> guard(queueLock);
    if (recording)
        recording->work.push_back(std::move(work));
    else
        work();
}
}  // namespace nk_emu

extern "C" {
CUresult cuInit(unsigned) { return success; }
CUresult cuDriverGetVersion(int *version) {
    *version = 13000;
    return success;
}
CUresult cuDeviceGetCount(int *count) {
    *count = 1;
    return success;
}
CUresult cuDeviceGet(int *device, int ordinal) {
    if (ordinal != 0) return invalidValue;
    *device = 0;
    return success;
}
CUresult cuDeviceGetName(char *name, int length, int) {
    snprintf(name, (size_t)length, "CUDA emulator (host)");
    return success;
}
CUresult cuDeviceGetAttribute(int *value, int attribute, int) {
    switch (attribute) {
    case 75: *value = 9; break;    // compute capability major
    case 76: *value = 0; break;    // minor
    case 16: *value = 132; break;  // multiprocessors
    default: *value = 0;
    }
    return success;
}
CUresult cuDeviceTotalMem_v2(size_t *bytes, int) {
    *bytes = (size_t)16 << 30;
    return success;
}
CUresult cuDevicePrimaryCtxRetain(void **context, int) {
    *context = (void *)0x1;
    return success;
}
CUresult cuCtxSetCurrent(void *) { return success; }
CUresult cuStreamCreate(void **stream, unsigned) {
    *stream = (void *)0x2;
    return success;
}
CUresult cuStreamSynchronize(void *) {
    std::lock_guard<std::recursive_mutex> guard(queueLock);
    return recording ? captureUnsupported : success;
}

CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
    void *memory = aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (!memory) return 2;  // out of memory
    *p = (CUdeviceptr)(uintptr_t)memory;
    return success;
}
CUresult cuMemFree_v2(CUdeviceptr p) {
    free(pointer(p));
    return success;
}
CUresult cuMemAllocHost_v2(void **p, size_t bytes) {
    *p = malloc(bytes);
    return *p ? success : 2;
}
CUresult cuMemFreeHost(void *p) {
    free(p);
    return success;
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr destination, const void *source, size_t bytes, void *) {
    nk_emu::enqueue([=] { memcpy(pointer(destination), source, bytes); });
    return success;
}
CUresult cuMemcpyDtoHAsync_v2(void *destination, CUdeviceptr source, size_t bytes, void *) {
    nk_emu::enqueue([=] { memcpy(destination, pointer(source), bytes); });
    return success;
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr destination, CUdeviceptr source, size_t bytes, void *) {
    nk_emu::enqueue([=] { memmove(pointer(destination), pointer(source), bytes); });
    return success;
}

CUresult cuModuleLoadData(void **module, const void *) {
    *module = (void *)0x3;
    return success;
}
CUresult cuModuleGetFunction(void **function, void *, const char *name) {
    nk_emu::Binder binder = nk_emu::find_kernel(name);
    if (!binder) {
        fprintf(stderr, "CUDA emulator: no kernel %s\n", name);
        return notFound;
    }
    *function = (void *)binder;
    return success;
}
CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned sharedBytes, void *, void **parameters, void **) {
    if (sharedBytes != 0 || gx == 0 || gy == 0 || gz == 0) return invalidValue;
    nk_emu::ThreadBody body = ((nk_emu::Binder)function)(parameters);
    nk_emu::dim3 grid{gx, gy, gz}, block{bx, by, bz};
    nk_emu::enqueue([body, grid, block] { nk_emu::run_grid(body, grid, block); });
    return success;
}
CUresult cuGetErrorString(CUresult error, const char **text) {
    switch (error) {
    case captureUnsupported: *text = "operation not permitted when stream is capturing"; break;
    case captureInvalidated: *text = "stream capture invalidated"; break;
    case notFound: *text = "named symbol not found"; break;
    default: *text = "CUDA emulator error";
    }
    return success;
}

// Graphs: capture records the stream's work; an executable graph replays it in order.
CUresult cuStreamBeginCapture_v2(void *, int) {
    std::lock_guard<std::recursive_mutex> guard(queueLock);
    if (recording) return captureInvalidated;
    recording = new Graph();
    return success;
}
CUresult cuStreamEndCapture(void *, void **graph) {
    std::lock_guard<std::recursive_mutex> guard(queueLock);
    if (!recording) return captureInvalidated;
    *graph = recording;
    recording = nullptr;
    return success;
}
CUresult cuGraphInstantiateWithFlags(void **executable, void *graph, unsigned long long) {
    *executable = new Graph(*(Graph *)graph);
    return success;
}
CUresult cuGraphLaunch(void *executable, void *) {
    std::lock_guard<std::recursive_mutex> guard(queueLock);
    if (recording) return captureUnsupported;
    for (auto &work : ((Graph *)executable)->work) work();
    return success;
}
CUresult cuGraphExecDestroy(void *executable) {
    delete (Graph *)executable;
    return success;
}
CUresult cuGraphDestroy(void *graph) {
    delete (Graph *)graph;
    return success;
}
}
