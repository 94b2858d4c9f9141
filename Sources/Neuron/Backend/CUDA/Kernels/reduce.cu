// Reductions over the middle axis of a contiguous [outer, reduce, inner] block into a
// contiguous [outer, inner] output: sums (by rows when inner == 1, by columns otherwise) and
// max/min with the index of the extreme (reduce.c's nk_sum_* and nk_extreme_*).
// float32 sums accumulate in double; int64 sums wrap on overflow.

template <typename T> struct nk_accumulator { typedef T type; };
template <> struct nk_accumulator<float> { typedef double type; };
template <> struct nk_accumulator<i64> { typedef u64 type; }; // unsigned: wrapping is defined

template <typename A>
__device__ __forceinline__ A nk_warp_sum(A v) {
#pragma unroll
    for (int delta = 16; delta > 0; delta >>= 1) v += __shfl_down_sync(0xffffffffu, v, delta);
    return v;
}

// inner == 1: one block per row (rows stride by gridDim.x); the block's threads stride over
// the row and combine their partial sums by warp shuffles, then across warps in shared memory.
// blockDim.x must be a multiple of 32 (the host uses 256).
template <typename T>
__device__ void sum_rows(const T* __restrict__ x, T* __restrict__ out, i64 outer, i64 reduce) {
    typedef typename nk_accumulator<T>::type A;
    __shared__ A warp_sums[32];
    const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const unsigned warps = (blockDim.x + 31) >> 5;
    for (i64 row = blockIdx.x; row < outer; row += gridDim.x) {
        const T* r = x + row * reduce;
        A acc = 0;
        for (i64 k = threadIdx.x; k < reduce; k += blockDim.x) acc += (A)r[k];
        acc = nk_warp_sum(acc);
        if (lane == 0) warp_sums[warp] = acc;
        __syncthreads();
        if (warp == 0) {
            acc = lane < warps ? warp_sums[lane] : (A)0;
            acc = nk_warp_sum(acc);
            if (lane == 0) out[row] = (T)acc;
        }
        __syncthreads(); // warp_sums is reused by the next row
    }
}

// One thread per output element; neighbouring threads read neighbouring columns.
template <typename T>
__device__ void sum_cols(const T* __restrict__ x, T* __restrict__ out, i64 outer, i64 reduce, i64 inner) {
    typedef typename nk_accumulator<T>::type A;
    NK_GRID_LOOP(t, outer * inner) {
        i64 o = t / inner, i = t - o * inner;
        const T* column = x + o * reduce * inner + i;
        A acc = 0;
        for (i64 r = 0; r < reduce; r++) acc += (A)column[r * inner];
        out[t] = (T)acc;
    }
}

// The first extreme wins ties; a NaN is the extreme once seen (the first NaN), as on the CPU.
template <typename T, bool IS_MIN>
__device__ void extreme_loop(const T* __restrict__ x, T* __restrict__ values, i64* __restrict__ indices,
                             i64 outer, i64 reduce, i64 inner) {
    if (reduce <= 0) return;
    NK_GRID_LOOP(t, outer * inner) {
        i64 o = t / inner, i = t - o * inner;
        const T* column = x + o * reduce * inner + i;
        T best = column[0];
        i64 at = 0;
        for (i64 r = 1; r < reduce && !nk_isnan(best); r++) {
            T v = column[r * inner];
            bool better = IS_MIN ? (v < best) : (v > best);
            if (better || nk_isnan(v)) {
                best = v;
                at = r;
            }
        }
        values[t] = best;
        if (indices) indices[t] = at;
    }
}

#define NK_REDUCE_KERNELS(SUFFIX, T)                                                           \
    extern "C" __global__ void sum_rows_##SUFFIX(const T* x, T* out, i64 outer, i64 reduce) {  \
        sum_rows<T>(x, out, outer, reduce);                                                    \
    }                                                                                          \
    extern "C" __global__ void sum_cols_##SUFFIX(const T* x, T* out, i64 outer, i64 reduce,    \
                                                 i64 inner) {                                  \
        sum_cols<T>(x, out, outer, reduce, inner);                                             \
    }                                                                                          \
    extern "C" __global__ void extreme_##SUFFIX(const T* x, T* values, i64* indices, i64 outer, \
                                                i64 reduce, i64 inner, int isMin) {            \
        if (isMin) extreme_loop<T, true>(x, values, indices, outer, reduce, inner);            \
        else extreme_loop<T, false>(x, values, indices, outer, reduce, inner);                 \
    }
NK_REDUCE_KERNELS(f32, float)
NK_REDUCE_KERNELS(f64, double)
NK_REDUCE_KERNELS(i64, i64)

// Softmax and log-softmax over the rows of a contiguous [rows, width]: one warp per row (the
// host launches 256-thread blocks, 8 rows each). A NaN in a row makes the whole row NaN, and an
// all −∞ row gives NaN, as the composed ops do; float32 sums accumulate in double.
template <typename T>
__device__ __forceinline__ T nk_nan_max(T a, T b) { return (b > a || nk_isnan(b)) ? b : a; }

template <typename T, bool LOG>
__device__ void softmax_rows(const T* __restrict__ x, T* __restrict__ y, i64 rows, i64 width) {
    typedef typename nk_accumulator<T>::type A;
    const i64 warps = blockDim.x >> 5, lane = threadIdx.x & 31;
    for (i64 row = (i64)blockIdx.x * warps + (threadIdx.x >> 5); row < rows; row += (i64)gridDim.x * warps) {
        const T* in = x + row * width;
        T* out = y + row * width;
        T m = -(T)__int_as_float(0x7f800000);  // −∞
        for (i64 k = lane; k < width; k += 32) m = nk_nan_max(m, in[k]);
#pragma unroll
        for (int delta = 16; delta > 0; delta >>= 1) m = nk_nan_max(m, __shfl_xor_sync(0xffffffffu, m, delta));
        A sum = 0;
        for (i64 k = lane; k < width; k += 32) sum += (A)exp(in[k] - m);
#pragma unroll
        for (int delta = 16; delta > 0; delta >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, delta);
        if (LOG) {
            const T shift = (T)log(sum);
            for (i64 k = lane; k < width; k += 32) out[k] = (in[k] - m) - shift;
        } else {
            for (i64 k = lane; k < width; k += 32) out[k] = (T)((A)exp(in[k] - m) / sum);
        }
    }
}

extern "C" __global__ void softmax_f32(const float* x, float* y, i64 rows, i64 width) { softmax_rows<float, false>(x, y, rows, width); }
extern "C" __global__ void softmax_f64(const double* x, double* y, i64 rows, i64 width) { softmax_rows<double, false>(x, y, rows, width); }
extern "C" __global__ void log_softmax_f32(const float* x, float* y, i64 rows, i64 width) { softmax_rows<float, true>(x, y, rows, width); }
extern "C" __global__ void log_softmax_f64(const double* x, double* y, i64 rows, i64 width) { softmax_rows<double, true>(x, y, rows, width); }
