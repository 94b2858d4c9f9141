// Shared by every kernel file (prepended to each before NVRTC compiles it): integer types,
// the strided layout the host fills for broadcast/strided operands, and small device helpers.
// NVRTC has no system headers, so nothing is included.

typedef long long i64;
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;
typedef unsigned short u16;  // bfloat16's bits

// Byte layout, as the host writes it: rank at 0 (4 bytes, then 4 of padding), shape at 8,
// stride[operand][dim] at 72; 264 bytes in all. Strides are in elements, 0 on broadcast
// dimensions. Rank 0 is a single element at offset 0.
struct nk_layout {
    int rank;
    i64 shape[8];
    i64 stride[3][8];
};

// Element offset of operand `operand` for the row-major linear index `linear` over L.shape.
__device__ __forceinline__ i64 nk_offset(const nk_layout& L, int operand, i64 linear) {
    i64 offset = 0;
#pragma unroll
    for (int d = 7; d >= 0; d--) {
        if (d < L.rank) {
            i64 extent = L.shape[d];
            i64 q = linear / extent;
            offset += (linear - q * extent) * L.stride[operand][d];
            linear = q;
        }
    }
    return offset;
}

// Offsets of the first COUNT operands at once (one division per dimension for all of them).
// Indices below 2^32 take 32-bit divisions, several times cheaper than 64-bit ones. The
// dimension loops are unrolled so that L is read straight from the kernel's parameters:
// indexing it with a variable would copy the whole struct to local memory in every thread.
template <int COUNT>
__device__ __forceinline__ void nk_offsets(const nk_layout& L, i64 linear, i64* offsets) {
#pragma unroll
    for (int o = 0; o < COUNT; o++) offsets[o] = 0;
    if (((u64)linear >> 32) == 0) {
        u32 rest = (u32)linear;
#pragma unroll
        for (int d = 7; d >= 0; d--) {
            if (d < L.rank) {
                // An extent of 2^32 or more exceeds rest: the quotient is 0, rest the index.
                u64 extent = (u64)L.shape[d];
                u32 q = (extent >> 32) ? 0u : rest / (u32)extent;
                i64 index = (i64)(rest - q * (u32)extent);
#pragma unroll
                for (int o = 0; o < COUNT; o++) offsets[o] += index * L.stride[o][d];
                rest = q;
            }
        }
        return;
    }
#pragma unroll
    for (int d = 7; d >= 0; d--) {
        if (d < L.rank) {
            i64 extent = L.shape[d];
            i64 q = linear / extent;
            i64 index = linear - q * extent;
#pragma unroll
            for (int o = 0; o < COUNT; o++) offsets[o] += index * L.stride[o][d];
            linear = q;
        }
    }
}

// How operand `operand` walks L.shape: 1 when its strides are the row-major strides of the
// shape (size-1 dimensions aside), so that its offset is the linear index itself; 0 when they
// are all 0 (one element, broadcast); -1 otherwise. The host need not collapse dimensions
// for kernels to take their flat loops.
__device__ __forceinline__ i64 nk_flat_stride(const nk_layout& L, int operand) {
    bool dense = true, zero = true;
    i64 expected = 1;
#pragma unroll
    for (int d = 7; d >= 0; d--) {
        if (d < L.rank) {
            i64 extent = L.shape[d], stride = L.stride[operand][d];
            if (extent != 1) {
                dense = dense && stride == expected;
                zero = zero && stride == 0;
            }
            expected *= extent;
        }
    }
    return dense ? 1 : (zero ? 0 : -1);
}

// Grid-stride loop over [0, n) with 64-bit indices. Not unrolled: with the host's grid most
// threads run one or two iterations, and unrolled copies only lengthen NVRTC's compile.
#define NK_GRID_LOOP(i, n)                                                                     \
    _Pragma("unroll 1") for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n);      \
                             i += (i64)blockDim.x * gridDim.x)

__device__ __forceinline__ float nk_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
__device__ __forceinline__ double nk_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

__device__ __forceinline__ bool nk_isnan(float x) { return x != x; }
__device__ __forceinline__ bool nk_isnan(double x) { return x != x; }
__device__ __forceinline__ bool nk_isnan(i64) { return false; }

// bfloat16: the top half of a float32, rounded to nearest even (NaNs stay quiet NaNs).
__device__ __forceinline__ u16 nk_bf16_from_float(float f) {
    u32 u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u16)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (u16)(u >> 16);
}
__device__ __forceinline__ float nk_bf16_to_float(u16 h) { return __uint_as_float((u32)h << 16); }

// A value converted to an element type, u16 meaning bfloat16.
template <typename OUT>
struct nk_element {
    template <typename T> __device__ __forceinline__ static OUT from(T v) { return (OUT)v; }
};
template <>
struct nk_element<u16> {
    template <typename T> __device__ __forceinline__ static u16 from(T v) { return nk_bf16_from_float((float)v); }
};
template <typename OUT, typename T>
__device__ __forceinline__ OUT nk_narrow(T v) { return nk_element<OUT>::from(v); }
