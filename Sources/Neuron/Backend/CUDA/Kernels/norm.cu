// Batch normalisation over [n, c, inner]: per-channel statistics and gradient sums (one block
// per channel, reduced in double, two passes for the variance as on the CPU) and the
// per-channel affine map out = a[ch]·u + b[ch]·v + d[ch] that both directions use.

__device__ __forceinline__ double nk_warp_sum_double(double v) {
#pragma unroll
    for (int delta = 16; delta > 0; delta >>= 1) v += __shfl_down_sync(0xffffffffu, v, delta);
    return v;
}

// The sum of every thread's v, returned to all of them. blockDim.x is a multiple of 32.
__device__ double nk_block_sum(double v) {
    __shared__ double partial[32];
    __shared__ double total;
    const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = nk_warp_sum_double(v);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < warps ? partial[lane] : 0.0;
        v = nk_warp_sum_double(v);
        if (lane == 0) total = v;
    }
    __syncthreads();
    double result = total;
    __syncthreads();  // partial and total are reused by the next call
    return result;
}

template <typename T>
__device__ void channel_stats(const T* __restrict__ x, double* __restrict__ mean, double* __restrict__ variance, i64 n,
                              i64 c, i64 inner) {
    const i64 count = n * inner;
    for (i64 ch = blockIdx.x; ch < c; ch += gridDim.x) {
        double s = 0;
        for (i64 k = threadIdx.x; k < count; k += blockDim.x) s += (double)x[((k / inner) * c + ch) * inner + k % inner];
        const double m = nk_block_sum(s) / (double)count;
        double q = 0;
        for (i64 k = threadIdx.x; k < count; k += blockDim.x) {
            double d = (double)x[((k / inner) * c + ch) * inner + k % inner] - m;
            q += d * d;
        }
        q = nk_block_sum(q);
        if (threadIdx.x == 0) {
            mean[ch] = m;
            variance[ch] = q / (double)count;
        }
    }
}

template <typename T>
__device__ void channel_grad_sums(const T* __restrict__ gy, const T* __restrict__ x, const double* __restrict__ mean,
                                  double* __restrict__ sum, double* __restrict__ dot, i64 n, i64 c, i64 inner) {
    const i64 count = n * inner;
    for (i64 ch = blockIdx.x; ch < c; ch += gridDim.x) {
        const double m = mean[ch];
        double s = 0, q = 0;
        for (i64 k = threadIdx.x; k < count; k += blockDim.x) {
            i64 at = ((k / inner) * c + ch) * inner + k % inner;
            double g = (double)gy[at];
            s += g;
            q += g * ((double)x[at] - m);
        }
        s = nk_block_sum(s);
        q = nk_block_sum(q);
        if (threadIdx.x == 0) {
            sum[ch] = s;
            dot[ch] = q;
        }
    }
}

template <typename T>
__device__ void channel_affine(const T* __restrict__ u, const T* __restrict__ v, const double* __restrict__ a,
                               const double* __restrict__ b, const double* __restrict__ d, T* __restrict__ out, i64 n,
                               i64 c, i64 inner) {
    NK_GRID_LOOP(t, n * c * inner) {
        i64 ch = (t / inner) % c;
        double value = a[ch] * (double)u[t] + d[ch];
        if (v) value += b[ch] * (double)v[t];
        out[t] = (T)value;
    }
}

#define NK_NORM_KERNELS(SUFFIX, T)                                                             \
    extern "C" __global__ void channel_stats_##SUFFIX(const T* x, double* mean, double* variance, i64 n, i64 c, \
                                                      i64 inner) {                             \
        channel_stats(x, mean, variance, n, c, inner);                                         \
    }                                                                                          \
    extern "C" __global__ void channel_grad_sums_##SUFFIX(const T* gy, const T* x, const double* mean, \
                                                          double* sum, double* dot, i64 n, i64 c, i64 inner) { \
        channel_grad_sums(gy, x, mean, sum, dot, n, c, inner);                                 \
    }                                                                                          \
    extern "C" __global__ void channel_affine_##SUFFIX(const T* u, const T* v, const double* a, const double* b, \
                                                       const double* d, T* out, i64 n, i64 c, i64 inner) { \
        channel_affine(u, v, a, b, d, out, n, c, inner);                                       \
    }
NK_NORM_KERNELS(f32, float)
NK_NORM_KERNELS(f64, double)

// Layer norm over the rows of a contiguous [rows, width], one warp per row (8 rows per
// 256-thread block): two passes for the variance, sums in double for float32. Saves each row's
// mean and 1/√(var + eps) for the backward.
__device__ __forceinline__ double nk_warp_all_sum(double v) {
#pragma unroll
    for (int delta = 16; delta > 0; delta >>= 1) v += __shfl_xor_sync(0xffffffffu, v, delta);
    return v;
}

template <typename T>
__device__ void layer_norm_forward(const T* __restrict__ x, const T* __restrict__ weight, const T* __restrict__ bias,
                                   T* __restrict__ y, T* __restrict__ means, T* __restrict__ rstds, i64 rows, i64 width,
                                   double eps) {
    const i64 warps = blockDim.x >> 5, lane = threadIdx.x & 31;
    for (i64 row = (i64)blockIdx.x * warps + (threadIdx.x >> 5); row < rows; row += (i64)gridDim.x * warps) {
        const T* in = x + row * width;
        T* out = y + row * width;
        double s = 0;
        for (i64 k = lane; k < width; k += 32) s += (double)in[k];
        const T mean = (T)(nk_warp_all_sum(s) / (double)width);
        double q = 0;
        for (i64 k = lane; k < width; k += 32) {
            double d = (double)(in[k] - mean);
            q += d * d;
        }
        const T rstd = (T)(1.0 / sqrt(nk_warp_all_sum(q) / (double)width + eps));
        for (i64 k = lane; k < width; k += 32) {
            T v = (in[k] - mean) * rstd;
            if (weight) v = v * weight[k];
            if (bias) v = v + bias[k];
            out[k] = v;
        }
        if (lane == 0) {
            means[row] = mean;
            rstds[row] = rstd;
        }
    }
}

// dx = rstd·(g·w − mean(g·w) − x̂·mean(g·w·x̂)) per row, one warp per row.
template <typename T>
__device__ void layer_norm_backward(const T* __restrict__ g, const T* __restrict__ x, const T* __restrict__ weight,
                                    const T* __restrict__ means, const T* __restrict__ rstds, T* __restrict__ dx, i64 rows,
                                    i64 width) {
    const i64 warps = blockDim.x >> 5, lane = threadIdx.x & 31;
    for (i64 row = (i64)blockIdx.x * warps + (threadIdx.x >> 5); row < rows; row += (i64)gridDim.x * warps) {
        const T *gr = g + row * width, *xr = x + row * width;
        const T mean = means[row], rstd = rstds[row];
        double a = 0, b = 0;
        for (i64 k = lane; k < width; k += 32) {
            double gw = (double)(weight ? gr[k] * weight[k] : gr[k]);
            a += gw;
            b += gw * (double)((xr[k] - mean) * rstd);
        }
        const T ma = (T)(nk_warp_all_sum(a) / (double)width), mb = (T)(nk_warp_all_sum(b) / (double)width);
        for (i64 k = lane; k < width; k += 32) {
            T gw = weight ? gr[k] * weight[k] : gr[k];
            dx[row * width + k] = rstd * (gw - ma - (xr[k] - mean) * rstd * mb);
        }
    }
}

// dweight = Σ_rows g·x̂ and dbias = Σ_rows g, one thread per column.
template <typename T>
__device__ void layer_norm_parameter_grads(const T* __restrict__ g, const T* __restrict__ x, const T* __restrict__ means,
                                           const T* __restrict__ rstds, T* __restrict__ dweight, T* __restrict__ dbias, i64 rows,
                                           i64 width) {
    NK_GRID_LOOP(k, width) {
        double dw = 0, db = 0;
        for (i64 row = 0; row < rows; row++) {
            double gv = (double)g[row * width + k];
            dw += gv * (double)((x[row * width + k] - means[row]) * rstds[row]);
            db += gv;
        }
        if (dweight) dweight[k] = (T)dw;
        if (dbias) dbias[k] = (T)db;
    }
}

#define NK_LAYER_NORM_KERNELS(SUFFIX, T)                                                       \
    extern "C" __global__ void layer_norm_forward_##SUFFIX(const T* x, const T* weight, const T* bias, T* y, T* means, \
                                                           T* rstds, i64 rows, i64 width, double eps) { \
        layer_norm_forward(x, weight, bias, y, means, rstds, rows, width, eps);                \
    }                                                                                          \
    extern "C" __global__ void layer_norm_backward_##SUFFIX(const T* g, const T* x, const T* weight, const T* means, \
                                                            const T* rstds, T* dx, i64 rows, i64 width) { \
        layer_norm_backward(g, x, weight, means, rstds, dx, rows, width);                      \
    }                                                                                          \
    extern "C" __global__ void layer_norm_parameter_grads_##SUFFIX(const T* g, const T* x, const T* means, \
                                                                   const T* rstds, T* dweight, T* dbias, i64 rows, \
                                                                   i64 width) {                \
        layer_norm_parameter_grads(g, x, means, rstds, dweight, dbias, rows, width);           \
    }
NK_LAYER_NORM_KERNELS(f32, float)
NK_LAYER_NORM_KERNELS(f64, double)
