// Gather, scatter-add, index-select, index-add (over the middle axis of contiguous
// [outer, axis, inner] blocks, as index.c) and one-hot encoding.
// Errors: `err` (2 elements, set to -1 by the host) receives the out-of-range index in err[1]
// and the op's code in err[0]; the element is skipped. Negative indices are out of range, as
// on the CPU. Codes: gather 1, scatter-add 2, index-select 3, index-add 4, one-hot 5.

enum { NK_ERR_GATHER = 1, NK_ERR_SCATTER_ADD = 2, NK_ERR_INDEX_SELECT = 3, NK_ERR_INDEX_ADD = 4,
       NK_ERR_ONE_HOT = 5 };

__device__ __forceinline__ bool nk_index_ok(i64 k, i64 extent, i64* err, i64 code) {
    if (k >= 0 && k < extent) return true;
    // Racing threads may leave any one of their values; the host only needs one.
    err[1] = k;
    err[0] = code;
    return false;
}

// out[o, j, i] = x[o, index[o, j, i], i]; index and out are [outer, indexAxis, inner].
template <typename T>
__device__ void gather_loop(const T* __restrict__ x, const i64* __restrict__ index, T* __restrict__ out,
                            i64 outer, i64 axis, i64 indexAxis, i64 inner, i64* err) {
    NK_GRID_LOOP(t, outer * indexAxis * inner) {
        i64 k = index[t];
        if (!nk_index_ok(k, axis, err, NK_ERR_GATHER)) continue;
        i64 o = t / (indexAxis * inner), i = t % inner;
        out[t] = x[(o * axis + k) * inner + i];
    }
}

// out[o, j, i] = x[o, index[j], i] for out [outer, count, inner].
template <typename T>
__device__ void index_select_loop(const T* __restrict__ x, const i64* __restrict__ index, i64 count,
                                  T* __restrict__ out, i64 outer, i64 axis, i64 inner, i64* err) {
    NK_GRID_LOOP(t, outer * count * inner) {
        i64 row = t / inner, i = t - row * inner;
        i64 o = row / count, j = row - o * count;
        i64 k = index[j];
        if (!nk_index_ok(k, axis, err, NK_ERR_INDEX_SELECT)) continue;
        out[t] = x[(o * axis + k) * inner + i];
    }
}

#define NK_GATHER_KERNELS(SIZE, T)                                                             \
    extern "C" __global__ void gather_##SIZE(const T* x, const i64* index, T* out, i64 outer,  \
                                             i64 axis, i64 indexAxis, i64 inner, i64* err) {   \
        gather_loop<T>(x, index, out, outer, axis, indexAxis, inner, err);                     \
    }                                                                                          \
    extern "C" __global__ void index_select_##SIZE(const T* x, const i64* index, i64 count,    \
                                                   T* out, i64 outer, i64 axis, i64 inner,     \
                                                   i64* err) {                                 \
        index_select_loop<T>(x, index, count, out, outer, axis, inner, err);                   \
    }
NK_GATHER_KERNELS(1, u8)
NK_GATHER_KERNELS(2, u16)
NK_GATHER_KERNELS(4, u32)
NK_GATHER_KERNELS(8, u64)

// out[o, index[o, j, i], i] += src[o, j, i]; index and src are [outer, indexAxis, inner].
template <typename T>
__device__ void scatter_add_loop(T* out, const i64* __restrict__ index, const T* __restrict__ src,
                                 i64 outer, i64 axis, i64 indexAxis, i64 inner, i64* err) {
    NK_GRID_LOOP(t, outer * indexAxis * inner) {
        i64 k = index[t];
        if (!nk_index_ok(k, axis, err, NK_ERR_SCATTER_ADD)) continue;
        i64 o = t / (indexAxis * inner), i = t % inner;
        atomicAdd(out + (o * axis + k) * inner + i, src[t]);
    }
}

// out[o, index[j], i] += src[o, j, i] for src [outer, count, inner].
template <typename T>
__device__ void index_add_loop(T* out, const i64* __restrict__ index, i64 count, const T* __restrict__ src,
                               i64 outer, i64 axis, i64 inner, i64* err) {
    NK_GRID_LOOP(t, outer * count * inner) {
        i64 row = t / inner, i = t - row * inner;
        i64 o = row / count, j = row - o * count;
        i64 k = index[j];
        if (!nk_index_ok(k, axis, err, NK_ERR_INDEX_ADD)) continue;
        atomicAdd(out + (o * axis + k) * inner + i, src[t]);
    }
}

#define NK_ADD_KERNELS(SUFFIX, T)                                                              \
    extern "C" __global__ void scatter_add_##SUFFIX(T* out, const i64* index, const T* src,    \
                                                    i64 outer, i64 axis, i64 indexAxis,        \
                                                    i64 inner, i64* err) {                     \
        scatter_add_loop<T>(out, index, src, outer, axis, indexAxis, inner, err);              \
    }                                                                                          \
    extern "C" __global__ void index_add_##SUFFIX(T* out, const i64* index, i64 count,         \
                                                  const T* src, i64 outer, i64 axis,           \
                                                  i64 inner, i64* err) {                       \
        index_add_loop<T>(out, index, count, src, outer, axis, inner, err);                    \
    }
NK_ADD_KERNELS(f32, float)
NK_ADD_KERNELS(f64, double)

// out [n, width] is zero-filled by the host; each row gets a 1 at its class.
extern "C" __global__ void one_hot(const i64* __restrict__ classes, i64* __restrict__ out, i64 n,
                                   i64 width, i64* err) {
    NK_GRID_LOOP(k, n) {
        i64 c = classes[k];
        if (!nk_index_ok(c, width, err, NK_ERR_ONE_HOT)) continue;
        out[k * width + c] = 1;
    }
}
