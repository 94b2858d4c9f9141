// Layer normalisation over the last `width` elements of each row, forward and backward in one
// pass per row each (the composed form reads a row a dozen times), rows split over threads.
// The parameter gradients sum over rows: each thread sums its rows, then the shares are added.
#include "NeuronKernels.h"
#include "dispatch.h"
#include <math.h>
#include <string.h>

typedef struct {
    const void *x, *w, *b, *g, *mean, *rstd;
    void *y, *out_mean, *out_rstd, *dx, *partials;
    int64_t rows, width, shares;
    double eps;
} layer_norm_job;

// A row sum with 16 independent partial sums, so that it vectorises without reassociation.
#define ROW_SUM(T, RESULT, TERM)                                                               \
    T RESULT = 0;                                                                              \
    {                                                                                          \
        T partial[16] = { 0 };                                                                 \
        int64_t start = 0;                                                                     \
        for (; start + 16 <= width; start += 16)                                               \
            for (int64_t i = start; i < start + 16; i++) partial[i - start] += TERM;           \
        for (int64_t i = start; i < width; i++) RESULT += TERM;                                \
        for (int k = 0; k < 16; k++) RESULT += partial[k];                                     \
    }

#define DEFINE_LAYER_NORM(SUFFIX, T)                                                           \
    NK_WIDE_RANGE(layer_norm_rows_##SUFFIX) {                                                  \
        const layer_norm_job *j = context;                                                     \
        const int64_t width = j->width;                                                        \
        const T *w = j->w, *b = j->b;                                                          \
        for (int64_t r = begin; r < end; r++) {                                                \
            const T *x = (const T *)j->x + r * width;                                          \
            T *y = (T *)j->y + r * width;                                                      \
            ROW_SUM(T, sum, x[i])                                                              \
            const T mean = sum / (T)width;                                                     \
            ROW_SUM(T, squares, (x[i] - mean) * (x[i] - mean))                                 \
            const T rstd = (T)1 / nk_sqrt(squares / (T)width + (T)j->eps);                     \
            ((T *)j->out_mean)[r] = mean;                                                      \
            ((T *)j->out_rstd)[r] = rstd;                                                      \
            if (w && b) for (int64_t i = 0; i < width; i++) y[i] = (x[i] - mean) * rstd * w[i] + b[i]; \
            else if (w) for (int64_t i = 0; i < width; i++) y[i] = (x[i] - mean) * rstd * w[i];  \
            else if (b) for (int64_t i = 0; i < width; i++) y[i] = (x[i] - mean) * rstd + b[i];  \
            else for (int64_t i = 0; i < width; i++) y[i] = (x[i] - mean) * rstd;              \
        }                                                                                      \
    }                                                                                          \
    void nk_layer_norm_##SUFFIX(const T *x, const T *w, const T *b, T *y, T *mean, T *rstd,    \
                                int64_t rows, int64_t width, double eps) {                     \
        layer_norm_job job = { x, w, b, 0, 0, 0, y, mean, rstd, 0, 0, rows, width, 0, eps };   \
        nk_parallel_for(rows, 16384 / (width + 1) + 1, layer_norm_rows_##SUFFIX, &job);        \
    }                                                                                          \
    /* dx = rstd · (gw − mean(gw) − x̂ · mean(gw · x̂)) with gw = g · w; each share also sums  \
       g · x̂ and g over its rows into its partial dweight and dbias. */                       \
    NK_WIDE_RANGE(layer_norm_backward_share_##SUFFIX) {                                        \
        const layer_norm_job *j = context;                                                     \
        const int64_t width = j->width;                                                        \
        const T *w = j->w;                                                                     \
        for (int64_t share = begin; share < end; share++) {                                    \
            T *dw = j->partials ? (T *)j->partials + share * 2 * width : 0, *db = dw ? dw + width : 0; \
            if (dw) memset(dw, 0, sizeof(T) * 2 * width);                                      \
            const int64_t first = j->rows * share / j->shares, last = j->rows * (share + 1) / j->shares; \
            for (int64_t r = first; r < last; r++) {                                           \
                const T *x = (const T *)j->x + r * width, *g = (const T *)j->g + r * width;    \
                T *dx = (T *)j->dx + r * width;                                                \
                const T mean = ((const T *)j->mean)[r], rstd = ((const T *)j->rstd)[r];        \
                ROW_SUM(T, sum_gw, (w ? g[i] * w[i] : g[i]))                                   \
                ROW_SUM(T, sum_gwx, (w ? g[i] * w[i] : g[i]) * ((x[i] - mean) * rstd))         \
                const T mean_gw = sum_gw / (T)width, mean_gwx = sum_gwx / (T)width;            \
                for (int64_t i = 0; i < width; i++) {                                          \
                    T gw = w ? g[i] * w[i] : g[i], xhat = (x[i] - mean) * rstd;                \
                    dx[i] = rstd * (gw - mean_gw - xhat * mean_gwx);                           \
                }                                                                              \
                if (dw)                                                                        \
                    for (int64_t i = 0; i < width; i++) {                                      \
                        dw[i] += g[i] * (x[i] - mean) * rstd;                                  \
                        db[i] += g[i];                                                         \
                    }                                                                          \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    void nk_layer_norm_backward_##SUFFIX(const T *g, const T *x, const T *w, const T *mean,    \
                                         const T *rstd, T *dx, T *dw, T *db, int64_t rows,     \
                                         int64_t width) {                                      \
        int64_t shares = rows * width >= 16384 ? nk_num_threads() : 1;                         \
        if (shares > rows) shares = rows;                                                      \
        if (shares < 1) shares = 1;                                                            \
        size_t capacity = 0;                                                                   \
        T *partials = dw ? nk_alloc(sizeof(T) * 2 * width * shares, &capacity) : 0;            \
        layer_norm_job job = { x, w, 0, g, mean, rstd, 0, 0, 0, dx, partials, rows, width, shares, 0 }; \
        nk_parallel_for(shares, 1, layer_norm_backward_share_##SUFFIX, &job);                  \
        if (dw) {                                                                              \
            for (int64_t i = 0; i < width; i++) {                                              \
                T sw = 0, sb = 0;                                                              \
                for (int64_t s = 0; s < shares; s++) {                                         \
                    sw += partials[s * 2 * width + i];                                         \
                    sb += partials[s * 2 * width + width + i];                                 \
                }                                                                              \
                dw[i] = sw;                                                                    \
                db[i] = sb;                                                                    \
            }                                                                                  \
            nk_free(partials, capacity);                                                       \
        }                                                                                      \
    }

DEFINE_LAYER_NORM(f32, float)
DEFINE_LAYER_NORM(f64, double)
