// Max pooling with the argmax (row · width + column within the plane, the first maximum; a
// NaN wins and stops the search, as on the CPU) and separable window averages: forward, the
// mean of each window; backward, each input element gathers the outputs whose windows cover
// it. Windows are given per axis as start, end (int64) and divisor (double) arrays.

struct nk_pool {
    i64 planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
};

template <typename T>
__device__ void max_pool(const T* __restrict__ x, T* __restrict__ y, i64* __restrict__ indices, nk_pool p) {
    NK_GRID_LOOP(t, p.planes * p.oh * p.ow) {
        i64 ox = t % p.ow, oy = (t / p.ow) % p.oh, plane = t / (p.ow * p.oh);
        const T* in = x + plane * p.h * p.w;
        T best = 0;
        i64 at = -1;
        bool stop = false;
        for (i64 ki = 0; ki < p.kh && !stop; ki++) {
            i64 iy = oy * p.sh - p.ph + ki * p.dh;
            if (iy < 0 || iy >= p.h) continue;
            for (i64 kj = 0; kj < p.kw; kj++) {
                i64 ix = ox * p.sw - p.pw + kj * p.dw;
                if (ix < 0 || ix >= p.w) continue;
                T v = in[iy * p.w + ix];
                if (at < 0 || v > best || nk_isnan(v)) {
                    best = v;
                    at = iy * p.w + ix;
                }
                if (nk_isnan(v)) {
                    stop = true;
                    break;
                }
            }
        }
        y[t] = best;
        indices[t] = at < 0 ? 0 : at;
    }
}

// windows: hs[oh], he[oh], ws[ow], we[ow] (int64, one array); divisors: hdiv[oh], wdiv[ow].
template <typename T>
__device__ void window_average(const T* __restrict__ x, T* __restrict__ y, i64 planes, i64 h, i64 w, i64 oh, i64 ow,
                               const i64* __restrict__ windows, const double* __restrict__ divisors) {
    const i64 *hs = windows, *he = windows + oh, *ws = windows + 2 * oh, *we = windows + 2 * oh + ow;
    NK_GRID_LOOP(t, planes * oh * ow) {
        i64 ox = t % ow, oy = (t / ow) % oh, plane = t / (ow * oh);
        const T* in = x + plane * h * w;
        T acc = 0;
        for (i64 iy = hs[oy]; iy < he[oy]; iy++)
            for (i64 ix = ws[ox]; ix < we[ox]; ix++) acc += in[iy * w + ix];
        y[t] = acc * (T)(1.0 / (divisors[oy] * divisors[oh + ox]));
    }
}

template <typename T>
__device__ void window_spread(const T* __restrict__ dy, T* __restrict__ dx, i64 planes, i64 h, i64 w, i64 oh, i64 ow,
                              const i64* __restrict__ windows, const double* __restrict__ divisors) {
    const i64 *hs = windows, *he = windows + oh, *ws = windows + 2 * oh, *we = windows + 2 * oh + ow;
    NK_GRID_LOOP(t, planes * h * w) {
        i64 ix = t % w, iy = (t / w) % h, plane = t / (w * h);
        const T* g = dy + plane * oh * ow;
        T acc = 0;
        for (i64 oy = 0; oy < oh; oy++) {
            if (iy < hs[oy] || iy >= he[oy]) continue;
            for (i64 ox = 0; ox < ow; ox++) {
                if (ix < ws[ox] || ix >= we[ox]) continue;
                acc += g[oy * ow + ox] * (T)(1.0 / (divisors[oy] * divisors[oh + ox]));
            }
        }
        dx[t] = acc;
    }
}

#define NK_POOL_KERNELS(SUFFIX, T)                                                              \
    extern "C" __global__ void max_pool_##SUFFIX(const T* x, T* y, i64* indices, nk_pool p) {  \
        max_pool(x, y, indices, p);                                                             \
    }                                                                                           \
    extern "C" __global__ void window_average_##SUFFIX(const T* x, T* y, i64 planes, i64 h, i64 w, i64 oh, \
                                                       i64 ow, const i64* windows, const double* divisors) { \
        window_average(x, y, planes, h, w, oh, ow, windows, divisors);                          \
    }                                                                                           \
    extern "C" __global__ void window_spread_##SUFFIX(const T* dy, T* dx, i64 planes, i64 h, i64 w, i64 oh, \
                                                      i64 ow, const i64* windows, const double* divisors) { \
        window_spread(dy, dx, planes, h, w, oh, ow, windows, divisors);                         \
    }
NK_POOL_KERNELS(f32, float)
NK_POOL_KERNELS(f64, double)
