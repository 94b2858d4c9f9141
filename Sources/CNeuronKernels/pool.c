// Max pooling (with the argmax position) and separable window averages (average and
// adaptive average pooling, and their adjoint), over independent planes.
#include "NeuronKernels.h"
#include "dispatch.h"
#include <stdint.h>
#include <string.h>

typedef struct {
    const void *x;
    void *y;
    int64_t *indices;
    int64_t h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
    const int64_t *hs, *he, *ws, *we;
    const double *hdiv, *wdiv;
    int backward;
    int64_t planes;
} pool_job;

// The common 2×2 window with stride 2, without bounds checks or branches: each output is the
// first of its four values that is NaN or greater than those before it (the general loop's
// rule), chosen with selects so the row vectorises.
#define DEFINE_MAX2X2(SUFFIX, T)                                                               \
    NK_WIDE_RANGE(max2x2_range_##SUFFIX) {                                                     \
        const pool_job *j = context;                                                           \
        const int64_t w = j->w;                                                                \
        for (int64_t row = begin * j->oh; row < end * j->oh; row++) { /* plane · oh + oy */    \
            const int64_t plane = row / j->oh, oy = row % j->oh;                               \
            const T *r0 = (const T *)j->x + (plane * j->h + 2 * oy) * w, *r1 = r0 + w;         \
            T *yr = (T *)j->y + row * j->ow;                                                   \
            int64_t *ir = j->indices + row * j->ow;                                            \
            for (int64_t ox = 0; ox < j->ow; ox++) {                                           \
                T a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];      \
                T best = a;                                                                    \
                int64_t at = 0;                                                                \
                int take = (b > best) | (b != b);                                              \
                best = take ? b : best; at = take ? 1 : at;                                    \
                take = (best == best) & ((c > best) | (c != c));                               \
                best = take ? c : best; at = take ? w : at;                                    \
                take = (best == best) & ((d > best) | (d != d));                               \
                best = take ? d : best; at = take ? w + 1 : at;                                \
                yr[ox] = best;                                                                 \
                ir[ox] = 2 * oy * w + 2 * ox + at;                                             \
            }                                                                                  \
        }                                                                                      \
    }

#define DEFINE_MAX(SUFFIX, T)                                                                  \
    NK_WIDE_AVX2_RANGE(max_range_##SUFFIX) {                                                   \
        const pool_job *j = context;                                                           \
        for (int64_t plane = begin; plane < end; plane++) {                                    \
            const T *x = (const T *)j->x + plane * j->h * j->w;                                \
            T *y = (T *)j->y + plane * j->oh * j->ow;                                          \
            int64_t *idx = j->indices + plane * j->oh * j->ow;                                 \
            for (int64_t oy = 0; oy < j->oh; oy++)                                             \
                for (int64_t ox = 0; ox < j->ow; ox++) {                                       \
                    T best = 0;                                                                \
                    int64_t at = -1;                                                           \
                    for (int64_t ki = 0; ki < j->kh; ki++) {                                   \
                        int64_t iy = oy * j->sh - j->ph + ki * j->dh;                          \
                        if (iy < 0 || iy >= j->h) continue;                                    \
                        for (int64_t kj = 0; kj < j->kw; kj++) {                               \
                            int64_t ix = ox * j->sw - j->pw + kj * j->dw;                      \
                            if (ix < 0 || ix >= j->w) continue;                                \
                            T v = x[iy * j->w + ix];                                           \
                            if (at < 0 || v > best || v != v) { best = v; at = iy * j->w + ix; } \
                            if (v != v) goto done_##SUFFIX;                                    \
                        }                                                                      \
                    }                                                                          \
                done_##SUFFIX:                                                                 \
                    y[oy * j->ow + ox] = best;                                                 \
                    idx[oy * j->ow + ox] = at < 0 ? 0 : at;                                    \
                }                                                                              \
        }                                                                                      \
    }                                                                                          \
    void nk_max_pool_##SUFFIX(const T *x, T *y, int64_t *indices, int64_t planes, int64_t h,   \
                              int64_t w, int64_t oh, int64_t ow, int64_t kh, int64_t kw,       \
                              int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,      \
                              int64_t dw) {                                                    \
        pool_job job = { x, y, indices, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw,          \
                         0, 0, 0, 0, 0, 0, 0 };                                                \
        job.planes = planes;                                                                   \
        int simple2 = kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1; \
        nk_range_fn two = ow <= 16 && h * w < (1 << 30) ? max2x2_narrow_##SUFFIX : max2x2_range_##SUFFIX; \
        nk_parallel_for(planes, 64, simple2 ? two : max_range_##SUFFIX, &job);                 \
    }

#define DEFINE_AVERAGE(SUFFIX, T)                                                              \
    NK_WIDE_RANGE(average_range_##SUFFIX) {                                                    \
        const pool_job *j = context;                                                           \
        for (int64_t plane = begin; plane < end; plane++) {                                    \
            T *x = (T *)j->x + plane * j->h * j->w;                                            \
            T *y = (T *)j->y + plane * j->oh * j->ow;                                          \
            if (j->backward) {                                                                 \
                for (int64_t oy = 0; oy < j->oh; oy++)                                         \
                    for (int64_t ox = 0; ox < j->ow; ox++) {                                   \
                        T scale = (T)(1.0 / (j->hdiv[oy] * j->wdiv[ox]));                      \
                        T share = y[oy * j->ow + ox] * scale;                                  \
                        for (int64_t iy = j->hs[oy]; iy < j->he[oy]; iy++)                     \
                            for (int64_t ix = j->ws[ox]; ix < j->we[ox]; ix++) x[iy * j->w + ix] += share; \
                    }                                                                          \
                continue;                                                                      \
            }                                                                                  \
            for (int64_t oy = 0; oy < j->oh; oy++)                                             \
                for (int64_t ox = 0; ox < j->ow; ox++) {                                       \
                    T scale = (T)(1.0 / (j->hdiv[oy] * j->wdiv[ox]));                          \
                    T sum = 0;                                                                 \
                    for (int64_t iy = j->hs[oy]; iy < j->he[oy]; iy++)                         \
                        for (int64_t ix = j->ws[ox]; ix < j->we[ox]; ix++) sum += x[iy * j->w + ix]; \
                    y[oy * j->ow + ox] = sum * scale;                                          \
                }                                                                              \
        }                                                                                      \
    }                                                                                          \
    void nk_window_average_##SUFFIX(const T *x, T *y, int64_t planes, int64_t h, int64_t w,    \
                                    int64_t oh, int64_t ow, const int64_t *hs, const int64_t *he, \
                                    const int64_t *ws, const int64_t *we, const double *hdiv,  \
                                    const double *wdiv, int backward) {                        \
        pool_job job = { x, y, 0, h, w, oh, ow, 0, 0, 0, 0, 0, 0, 0, 0, hs, he, ws, we, hdiv, wdiv, \
                         backward };                                                           \
        nk_parallel_for(planes, 64, average_range_##SUFFIX, &job);                             \
    }

DEFINE_MAX2X2(f32, float)
DEFINE_MAX2X2(f64, double)

// Float32 output rows of at most 16: one row per iteration in 16-lane vectors (the two input
// rows loaded whole and split into even and odd columns), the same rule as the scalar loop.
// Rows up to 16 wide are too short for the compiler to vectorise the loop above.
typedef float nk_f32x16 __attribute__((ext_vector_type(16)));
typedef int32_t nk_i32x16 __attribute__((ext_vector_type(16)));
typedef int64_t nk_i64x16 __attribute__((ext_vector_type(16)));

// Macros, not functions: a 16-lane argument would change the ABI in the clones without AVX-512.
#define select_f32x16(take, yes, no) ((nk_f32x16)(((nk_i32x16)(yes) & (take)) | ((nk_i32x16)(no) & ~(take))))

NK_WIDE_RANGE(max2x2_narrow_f32) {
    const pool_job *j = context;
    const int64_t w = j->w, ow = j->ow;
    const float *x_end = (const float *)j->x + j->planes * j->h * w;
    const nk_i32x16 lane = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
    for (int64_t row = begin * j->oh; row < end * j->oh; row++) { /* plane · oh + oy */
        const int64_t plane = row / j->oh, oy = row % j->oh;
        const float *r0 = (const float *)j->x + (plane * j->h + 2 * oy) * w, *r1 = r0 + w;
        float padded[4][16];
        const float *p0 = r0, *p1 = r0 + 16, *p2 = r1, *p3 = r1 + 16;
        if (r1 + 32 > x_end) { /* the last rows: no reading past the input */
            memset(padded, 0, sizeof padded);
            memcpy(padded, r0, sizeof(float) * (size_t)(2 * ow));
            memcpy(padded[2], r1, sizeof(float) * (size_t)(2 * ow));
            p0 = padded[0]; p1 = padded[1]; p2 = padded[2]; p3 = padded[3];
        }
        nk_f32x16 lo0, hi0, lo1, hi1;
        memcpy(&lo0, p0, sizeof lo0);
        memcpy(&hi0, p1, sizeof hi0);
        memcpy(&lo1, p2, sizeof lo1);
        memcpy(&hi1, p3, sizeof hi1);
        nk_f32x16 a = __builtin_shufflevector(lo0, hi0, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        nk_f32x16 b = __builtin_shufflevector(lo0, hi0, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        nk_f32x16 c = __builtin_shufflevector(lo1, hi1, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        nk_f32x16 d = __builtin_shufflevector(lo1, hi1, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        nk_f32x16 best = a;
        nk_i32x16 at = 0;
        nk_i32x16 take = (b > best) | (b != b);
        best = select_f32x16(take, b, best);
        at = (1 & take) | (at & ~take);
        take = (best == best) & ((c > best) | (c != c));
        best = select_f32x16(take, c, best);
        at = ((int32_t)w & take) | (at & ~take);
        take = (best == best) & ((d > best) | (d != d));
        best = select_f32x16(take, d, best);
        at = ((int32_t)(w + 1) & take) | (at & ~take);
        nk_i64x16 index = __builtin_convertvector((int32_t)(2 * oy * w) + 2 * lane + at, nk_i64x16);
        float values[16];
        int64_t positions[16];
        memcpy(values, &best, sizeof values);
        memcpy(positions, &index, sizeof positions);
        float *yr = (float *)j->y + row * ow;
        int64_t *ir = j->indices + row * ow;
        for (int64_t ox = 0; ox < ow; ox++) {
            yr[ox] = values[ox];
            ir[ox] = positions[ox];
        }
    }
}
#define max2x2_narrow_f64 max2x2_range_f64

DEFINE_MAX(f32, float)
DEFINE_MAX(f64, double)
DEFINE_AVERAGE(f32, float)
DEFINE_AVERAGE(f64, double)
