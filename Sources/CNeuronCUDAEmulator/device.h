// What the kernel sources need from CUDA, for compiling them as host C++: qualifiers, the
// thread and block indices of the running fiber, barriers, warp shuffles, atomics and the
// device math functions.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace nk_emu {
struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

/// The running thread's coordinates, set by the scheduler before it resumes a fiber.
struct ThreadCoordinates {
    dim3 threadIndex, blockIndex, blockShape, gridShape;
    unsigned linear;  // threadIdx within the block, flattened
};
extern thread_local ThreadCoordinates *current;

/// Waits until every running thread of the block arrives (__syncthreads).
void block_barrier();
/// Waits until every running thread of the calling warp arrives (__syncwarp, shuffles).
void warp_barrier();
/// The exchange slot of block thread `linear` for warp shuffles.
uint64_t &exchange_slot(unsigned linear);
/// Threads in the running block.
unsigned block_threads();

template <typename T>
T shuffle(T value, int source_lane, bool valid) {
    static_assert(sizeof(T) <= 8, "shuffles of at most 8 bytes");
    uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof(T));
    exchange_slot(current->linear) = bits;
    warp_barrier();
    const unsigned base = current->linear & ~31u, source = base + (unsigned)source_lane;
    T result = value;
    if (valid && source_lane >= 0 && source_lane < 32 && source < block_threads()) {
        uint64_t theirs = exchange_slot(source);
        std::memcpy(&result, &theirs, sizeof(T));
    }
    warp_barrier();
    return result;
}
}  // namespace nk_emu

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __launch_bounds__(...)
// Block-shared variables are function statics: blocks run one after another, and a block's
// threads are fibers of one host thread.
#define __shared__ static

#define threadIdx (nk_emu::current->threadIndex)
#define blockIdx (nk_emu::current->blockIndex)
#define blockDim (nk_emu::current->blockShape)
#define gridDim (nk_emu::current->gridShape)

inline void __syncthreads() { nk_emu::block_barrier(); }
inline void __syncwarp(unsigned = 0xffffffffu) { nk_emu::warp_barrier(); }

template <typename T>
inline T __shfl_down_sync(unsigned, T v, unsigned delta) {
    int lane = (int)(nk_emu::current->linear & 31);
    return nk_emu::shuffle(v, lane + (int)delta, lane + (int)delta < 32);
}
template <typename T>
inline T __shfl_up_sync(unsigned, T v, unsigned delta) {
    int lane = (int)(nk_emu::current->linear & 31);
    return nk_emu::shuffle(v, lane - (int)delta, lane >= (int)delta);
}
template <typename T>
inline T __shfl_xor_sync(unsigned, T v, int mask) {
    int lane = (int)(nk_emu::current->linear & 31);
    return nk_emu::shuffle(v, lane ^ mask, true);
}
template <typename T>
inline T __shfl_sync(unsigned, T v, int lane) {
    return nk_emu::shuffle(v, lane & 31, true);
}

// Fibers never run at the same time, so atomics are plain read-modify-writes.
template <typename T>
inline T atomicAdd(T *p, T v) {
    T old = *p;
    *p = old + v;
    return old;
}
template <typename T>
inline T atomicMax(T *p, T v) {
    T old = *p;
    *p = old > v ? old : v;
    return old;
}
template <typename T>
inline T atomicCAS(T *p, T compare, T v) {
    T old = *p;
    if (old == compare) *p = v;
    return old;
}

inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline void sincospif(float x, float *s, float *c) {
    *s = sinf((float)M_PI * x);
    *c = cosf((float)M_PI * x);
}
inline void sincospi(double x, double *s, double *c) {
    *s = sin(M_PI * x);
    *c = cos(M_PI * x);
}
inline unsigned __float_as_uint(float x) {
    unsigned u;
    std::memcpy(&u, &x, 4);
    return u;
}
inline float __uint_as_float(unsigned u) {
    float x;
    std::memcpy(&x, &u, 4);
    return x;
}
inline int __float_as_int(float x) { return (int)__float_as_uint(x); }
inline float __int_as_float(int i) { return __uint_as_float((unsigned)i); }
