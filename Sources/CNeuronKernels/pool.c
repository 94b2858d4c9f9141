// Max pooling (with the argmax position) and separable window averages (average and
// adaptive average pooling, and their adjoint), over independent planes.
#include "NeuronKernels.h"
#include "dispatch.h"
#include <string.h>

typedef struct {
    const void *x;
    void *y;
    int64_t *indices;
    int64_t h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
    const int64_t *hs, *he, *ws, *we;
    const double *hdiv, *wdiv;
    int backward;
} pool_job;

#define DEFINE_MAX(SUFFIX, T)                                                                  \
    NK_WIDE_AVX2 static void max_range_##SUFFIX(void *context, int64_t begin, int64_t end) {   \
        const pool_job *j = context;                                                           \
        const int simple2 = j->kh == 2 && j->kw == 2 && j->sh == 2 && j->sw == 2 && j->ph == 0 &&      \
                            j->pw == 0 && j->dh == 1 && j->dw == 1;                            \
        for (int64_t plane = begin; plane < end; plane++) {                                    \
            const T *x = (const T *)j->x + plane * j->h * j->w;                                \
            T *y = (T *)j->y + plane * j->oh * j->ow;                                          \
            int64_t *idx = j->indices + plane * j->oh * j->ow;                                 \
            if (simple2) { /* the common 2×2, stride 2 window, without bounds checks */        \
                for (int64_t oy = 0; oy < j->oh; oy++) {                                       \
                    const T *r0 = x + 2 * oy * j->w, *r1 = r0 + j->w;                          \
                    for (int64_t ox = 0; ox < j->ow; ox++) {                                   \
                        int64_t c = 2 * ox, at = c;                                            \
                        T best = r0[c];                                                        \
                        if (r0[c + 1] > best || r0[c + 1] != r0[c + 1]) { best = r0[c + 1]; at = c + 1; } \
                        if (best == best && (r1[c] > best || r1[c] != r1[c])) { best = r1[c]; at = j->w + c; } \
                        if (best == best && (r1[c + 1] > best || r1[c + 1] != r1[c + 1])) { best = r1[c + 1]; at = j->w + c + 1; } \
                        y[oy * j->ow + ox] = best;                                             \
                        idx[oy * j->ow + ox] = 2 * oy * j->w + at;                             \
                    }                                                                          \
                }                                                                              \
                continue;                                                                      \
            }                                                                                  \
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
        nk_parallel_for(planes, 64, max_range_##SUFFIX, &job);                                 \
    }

#define DEFINE_AVERAGE(SUFFIX, T)                                                              \
    NK_WIDE static void average_range_##SUFFIX(void *context, int64_t begin, int64_t end) {    \
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

DEFINE_MAX(f32, float)
DEFINE_MAX(f64, double)
DEFINE_AVERAGE(f32, float)
DEFINE_AVERAGE(f64, double)
