// 2-D convolution as im2col + GEMM, split over the batch. The three products (forward,
// adjoint in x, gradient in w) share one geometry; 1-D convolutions use h = 1.
#include "NeuronKernels.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DEFINE_IM2COL(NAME, T)                                                                 \
    static void NAME(const nk_conv_geometry *g, const T *x, T *col) {                          \
        const int64_t cg = g->c / g->groups, p = g->oh * g->ow;                                \
        for (int64_t c = 0; c < cg; c++)                                                       \
            for (int64_t ki = 0; ki < g->kh; ki++)                                             \
                for (int64_t kj = 0; kj < g->kw; kj++) {                                       \
                    T *row = col + ((c * g->kh + ki) * g->kw + kj) * p;                        \
                    const T *plane = x + c * g->h * g->w;                                      \
                    for (int64_t oy = 0; oy < g->oh; oy++) {                                   \
                        int64_t iy = oy * g->sh - g->pt + ki * g->dh;                          \
                        T *dst = row + oy * g->ow;                                             \
                        if (iy < 0 || iy >= g->h) { memset(dst, 0, sizeof(T) * g->ow); continue; } \
                        const T *src = plane + iy * g->w;                                      \
                        for (int64_t ox = 0; ox < g->ow; ox++) {                               \
                            int64_t ix = ox * g->sw - g->pl + kj * g->dw;                      \
                            dst[ox] = (ix >= 0 && ix < g->w) ? src[ix] : (T)0;                 \
                        }                                                                      \
                    }                                                                          \
                }                                                                              \
    }

#define DEFINE_COL2IM(NAME, T)                                                                 \
    static void NAME(const nk_conv_geometry *g, const T *col, T *x) {                          \
        const int64_t cg = g->c / g->groups, p = g->oh * g->ow;                                \
        for (int64_t c = 0; c < cg; c++)                                                       \
            for (int64_t ki = 0; ki < g->kh; ki++)                                             \
                for (int64_t kj = 0; kj < g->kw; kj++) {                                       \
                    const T *row = col + ((c * g->kh + ki) * g->kw + kj) * p;                  \
                    T *plane = x + c * g->h * g->w;                                            \
                    for (int64_t oy = 0; oy < g->oh; oy++) {                                   \
                        int64_t iy = oy * g->sh - g->pt + ki * g->dh;                          \
                        if (iy < 0 || iy >= g->h) continue;                                    \
                        const T *src = row + oy * g->ow;                                       \
                        T *dst = plane + iy * g->w;                                            \
                        for (int64_t ox = 0; ox < g->ow; ox++) {                               \
                            int64_t ix = ox * g->sw - g->pl + kj * g->dw;                      \
                            if (ix >= 0 && ix < g->w) dst[ix] += src[ox];                      \
                        }                                                                      \
                    }                                                                          \
                }                                                                              \
    }

DEFINE_IM2COL(im2col_f32, float)
DEFINE_IM2COL(im2col_f64, double)
DEFINE_COL2IM(col2im_f32, float)
DEFINE_COL2IM(col2im_f64, double)

typedef struct {
    const nk_conv_geometry *g;
    const void *a, *b;
    void *out;
    pthread_mutex_t lock;
} conv_job;

// A 1×1 kernel with unit stride and no padding reads the input directly as its columns.
static int direct_columns(const nk_conv_geometry *g) {
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 &&
           g->oh == g->h && g->ow == g->w;
}

#define DEFINE_CONV(SUFFIX, T)                                                                 \
    static void forward_range_##SUFFIX(void *context, int64_t begin, int64_t end) {            \
        conv_job *job = context;                                                               \
        const nk_conv_geometry *g = job->g;                                                    \
        const int64_t cg = g->c / g->groups, ocg = g->oc / g->groups;                          \
        const int64_t k = cg * g->kh * g->kw, p = g->oh * g->ow;                               \
        int direct = direct_columns(g);                                                        \
        T *col = direct ? NULL : malloc(sizeof(T) * k * p);                                    \
        for (int64_t n = begin; n < end; n++)                                                  \
            for (int64_t gi = 0; gi < g->groups; gi++) {                                       \
                const T *x = (const T *)job->a + (n * g->c + gi * cg) * g->h * g->w;           \
                const T *w = (const T *)job->b + gi * ocg * k;                                 \
                T *y = (T *)job->out + (n * g->oc + gi * ocg) * p;                             \
                if (!direct) im2col_##SUFFIX(g, x, col);                                       \
                nk_gemm_##SUFFIX(0, 0, ocg, p, k, 1, w, k, direct ? x : col, p, 0, y, p);      \
            }                                                                                  \
        free(col);                                                                             \
    }                                                                                          \
    static void adjoint_range_##SUFFIX(void *context, int64_t begin, int64_t end) {            \
        conv_job *job = context;                                                               \
        const nk_conv_geometry *g = job->g;                                                    \
        const int64_t cg = g->c / g->groups, ocg = g->oc / g->groups;                          \
        const int64_t k = cg * g->kh * g->kw, p = g->oh * g->ow;                               \
        int direct = direct_columns(g);                                                        \
        T *col = direct ? NULL : malloc(sizeof(T) * k * p);                                    \
        for (int64_t n = begin; n < end; n++)                                                  \
            for (int64_t gi = 0; gi < g->groups; gi++) {                                       \
                T *x = (T *)job->out + (n * g->c + gi * cg) * g->h * g->w;                     \
                const T *w = (const T *)job->b + gi * ocg * k;                                 \
                const T *y = (const T *)job->a + (n * g->oc + gi * ocg) * p;                   \
                if (direct) {                                                                  \
                    nk_gemm_##SUFFIX(1, 0, k, p, ocg, 1, w, k, y, p, 0, x, p);                 \
                } else {                                                                       \
                    nk_gemm_##SUFFIX(1, 0, k, p, ocg, 1, w, k, y, p, 0, col, p);               \
                    memset(x, 0, sizeof(T) * cg * g->h * g->w);                                \
                    col2im_##SUFFIX(g, col, x);                                                \
                }                                                                              \
            }                                                                                  \
        free(col);                                                                             \
    }                                                                                          \
    static void weight_range_##SUFFIX(void *context, int64_t begin, int64_t end) {             \
        conv_job *job = context;                                                               \
        const nk_conv_geometry *g = job->g;                                                    \
        const int64_t cg = g->c / g->groups, ocg = g->oc / g->groups;                          \
        const int64_t k = cg * g->kh * g->kw, p = g->oh * g->ow;                               \
        int direct = direct_columns(g);                                                        \
        T *col = direct ? NULL : malloc(sizeof(T) * k * p);                                    \
        T *partial = calloc((size_t)(g->oc * k), sizeof(T));                                   \
        for (int64_t n = begin; n < end; n++)                                                  \
            for (int64_t gi = 0; gi < g->groups; gi++) {                                       \
                const T *x = (const T *)job->a + (n * g->c + gi * cg) * g->h * g->w;           \
                const T *y = (const T *)job->b + (n * g->oc + gi * ocg) * p;                   \
                if (!direct) im2col_##SUFFIX(g, x, col);                                       \
                nk_gemm_##SUFFIX(0, 1, ocg, k, p, 1, y, p, direct ? x : col, p, 1,             \
                                 partial + gi * ocg * k, k);                                   \
            }                                                                                  \
        pthread_mutex_lock(&job->lock);                                                        \
        T *dw = job->out;                                                                      \
        for (int64_t i = 0; i < g->oc * k; i++) dw[i] += partial[i];                           \
        pthread_mutex_unlock(&job->lock);                                                      \
        free(partial);                                                                         \
        free(col);                                                                             \
    }                                                                                          \
    void nk_conv2d_##SUFFIX(const nk_conv_geometry *g, const T *x, const T *w, T *y) {         \
        conv_job job = { g, x, w, y, PTHREAD_MUTEX_INITIALIZER };                              \
        nk_parallel_for(g->n, 1, forward_range_##SUFFIX, &job);                                \
    }                                                                                          \
    void nk_conv2d_adjoint_##SUFFIX(const nk_conv_geometry *g, const T *y, const T *w, T *x) { \
        conv_job job = { g, y, w, x, PTHREAD_MUTEX_INITIALIZER };                              \
        nk_parallel_for(g->n, 1, adjoint_range_##SUFFIX, &job);                                \
    }                                                                                          \
    void nk_conv2d_weight_grad_##SUFFIX(const nk_conv_geometry *g, const T *x, const T *y, T *dw) { \
        memset(dw, 0, sizeof(T) * g->oc * (g->c / g->groups) * g->kh * g->kw);                \
        conv_job job = { g, x, y, dw, PTHREAD_MUTEX_INITIALIZER };                             \
        nk_parallel_for(g->n, 1, weight_range_##SUFFIX, &job);                                 \
    }

DEFINE_CONV(f32, float)
DEFINE_CONV(f64, double)
