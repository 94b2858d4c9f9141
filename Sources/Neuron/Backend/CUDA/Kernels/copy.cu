// Strided copies (1-, 4- and 8-byte elements), casts between float32, float64, int64 and
// bool (u8), and fills; the counterparts of nk_copy, nk_cast and nk_fill in copy.c.

// ---------------------------------------------------------------- copy
// dst[offset of operand 1] = src[offset of operand 0] for each linear index over L.shape.
template <typename T>
__device__ void copy_loop(const nk_layout& L, const T* __restrict__ src, T* __restrict__ dst, i64 n) {
    if (L.rank == 1) {
        i64 ss = L.stride[0][0], sd = L.stride[1][0];
        NK_GRID_LOOP(i, n) dst[i * sd] = src[i * ss];
        return;
    }
    i64 ss = nk_flat_stride(L, 0), sd = nk_flat_stride(L, 1);
    if (sd == 1 && ss >= 0) { // a contiguous destination from a contiguous or broadcast source
        NK_GRID_LOOP(i, n) dst[i] = src[i * ss];
        return;
    }
    NK_GRID_LOOP(i, n) {
        i64 offsets[2];
        nk_offsets<2>(L, i, offsets);
        dst[offsets[1]] = src[offsets[0]];
    }
}

#define NK_COPY_KERNEL(SIZE, T)                                                                \
    extern "C" __global__ void copy_##SIZE(nk_layout L, const T* src, T* dst, i64 n) {         \
        copy_loop<T>(L, src, dst, n);                                                          \
    }
NK_COPY_KERNEL(1, u8)
NK_COPY_KERNEL(2, u16)
NK_COPY_KERNEL(4, u32)
NK_COPY_KERNEL(8, u64)

// ---------------------------------------------------------------- cast
// C's conversions, as nk_cast does them, with two specifics:
// - anything to bool (u8) is `!= 0` (NaN gives 1);
// - float to int64 truncates toward zero; NaN and values outside the int64 range give
//   INT64_MIN, which is what the CPU backend's conversion (x86-64 cvttss2si/cvttsd2si)
//   returns, where the GPU's own conversion would saturate.
template <typename TO>
struct nk_convert {
    template <typename FROM> __device__ __forceinline__ static TO from(FROM v) { return (TO)v; }
};
template <>
struct nk_convert<u8> {
    template <typename FROM> __device__ __forceinline__ static u8 from(FROM v) { return v != 0; }
};
template <>
struct nk_convert<i64> {
    __device__ __forceinline__ static i64 from(float v) {
        return (v >= -9223372036854775808.0f && v < 9223372036854775808.0f) ? (i64)v
                                                                            : (i64)0x8000000000000000ull;
    }
    __device__ __forceinline__ static i64 from(double v) {
        return (v >= -9223372036854775808.0 && v < 9223372036854775808.0) ? (i64)v
                                                                          : (i64)0x8000000000000000ull;
    }
    __device__ __forceinline__ static i64 from(i64 v) { return v; }
    __device__ __forceinline__ static i64 from(u8 v) { return (i64)v; }
};

#define NK_CAST_KERNEL(FN, FT, TN, TT)                                                         \
    extern "C" __global__ void cast_##FN##_##TN(const FT* __restrict__ x, TT* __restrict__ y,  \
                                                i64 n) {                                       \
        NK_GRID_LOOP(i, n) y[i] = nk_convert<TT>::from(x[i]);                                  \
    }
#define NK_CAST_FROM(FN, FT)                                                                   \
    NK_CAST_KERNEL(FN, FT, f32, float)                                                         \
    NK_CAST_KERNEL(FN, FT, f64, double)                                                        \
    NK_CAST_KERNEL(FN, FT, i64, i64)                                                           \
    NK_CAST_KERNEL(FN, FT, u8, u8)
NK_CAST_FROM(f32, float)
NK_CAST_FROM(f64, double)
NK_CAST_FROM(i64, i64)
NK_CAST_FROM(u8, u8)

// bfloat16 (u16 bits) through float32, as on the CPU.
#define NK_CAST_TO_BF16(FN, FT)                                                                \
    extern "C" __global__ void cast_##FN##_bf16(const FT* __restrict__ x, u16* __restrict__ y, i64 n) { \
        NK_GRID_LOOP(i, n) y[i] = nk_bf16_from_float((float)x[i]);                             \
    }
#define NK_CAST_FROM_BF16(TN, TT)                                                              \
    extern "C" __global__ void cast_bf16_##TN(const u16* __restrict__ x, TT* __restrict__ y, i64 n) { \
        NK_GRID_LOOP(i, n) y[i] = nk_convert<TT>::from(nk_bf16_to_float(x[i]));                \
    }
NK_CAST_TO_BF16(f32, float)
NK_CAST_TO_BF16(f64, double)
NK_CAST_TO_BF16(i64, i64)
NK_CAST_TO_BF16(u8, u8)
NK_CAST_FROM_BF16(f32, float)
NK_CAST_FROM_BF16(f64, double)
NK_CAST_FROM_BF16(i64, i64)
NK_CAST_FROM_BF16(u8, u8)
extern "C" __global__ void cast_bf16_bf16(const u16* __restrict__ x, u16* __restrict__ y, i64 n) {
    NK_GRID_LOOP(i, n) y[i] = x[i];
}

// ---------------------------------------------------------------- fill
// The host passes the value's bit pattern.
#define NK_FILL_KERNEL(SIZE, T)                                                                \
    extern "C" __global__ void fill_##SIZE(T* p, i64 n, T value) {                             \
        NK_GRID_LOOP(i, n) p[i] = value;                                                       \
    }
NK_FILL_KERNEL(1, u8)
NK_FILL_KERNEL(2, u16)
NK_FILL_KERNEL(4, u32)
NK_FILL_KERNEL(8, u64)
