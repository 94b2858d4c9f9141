// Batch normalisation over [n, c, inner] (NCHW with inner = h·w): per-channel statistics and
// per-channel affine maps, so a training step reads its activations 3 times forward and 4
// times backward instead of a dozen composed tensor ops. Sums run in the element type within
// one contiguous run (vectorised) and in double across runs.
#include "NeuronKernels.h"
#include "dispatch.h"

typedef struct {
    const void *x, *u, *v;
    void *out;
    const double *mean, *a, *b, *d;
    double *first, *second;
    int64_t n, c, inner;
} norm_job;

#define RUN_SUM(T, TERM)                                                                       \
    T partial[16] = { 0 }, total = 0;                                                          \
    int64_t start = 0;                                                                         \
    for (; start + 16 <= count; start += 16)                                                   \
        for (int64_t i = start; i < start + 16; i++) partial[i - start] += TERM;               \
    for (int64_t i = start; i < count; i++) total += TERM;                                     \
    for (int k = 0; k < 16; k++) total += partial[k];                                          \
    return total;

#define DEFINE_NORM(SUFFIX, T)                                                                 \
    /* Sums over one contiguous run with 16 independent partial sums (vectorisable without     \
       reassociating). */                                                                      \
    NK_INLINE T run_sum_##SUFFIX(const T *restrict p, int64_t count) {                         \
        RUN_SUM(T, p[i])                                                                       \
    }                                                                                          \
    NK_INLINE T run_centred_square_##SUFFIX(const T *restrict p, int64_t count, T m) {         \
        RUN_SUM(T, (p[i] - m) * (p[i] - m))                                                    \
    }                                                                                          \
    NK_INLINE T run_centred_dot_##SUFFIX(const T *restrict g, const T *restrict p, int64_t count, T m) { \
        RUN_SUM(T, g[i] * (p[i] - m))                                                          \
    }                                                                                          \
    /* first = mean, second = biased variance, for channels [begin, end) */                    \
    NK_WIDE_RANGE(stats_range_##SUFFIX) {                                                      \
        const norm_job *j = context;                                                           \
        const T *x = j->x;                                                                     \
        const double count = (double)(j->n * j->inner);                                        \
        for (int64_t ch = begin; ch < end; ch++) {                                             \
            double s = 0, q = 0;                                                               \
            for (int64_t r = 0; r < j->n; r++)                                                 \
                s += run_sum_##SUFFIX(x + (r * j->c + ch) * j->inner, j->inner);               \
            const double mean = s / count;                                                     \
            for (int64_t r = 0; r < j->n; r++)                                                 \
                q += run_centred_square_##SUFFIX(x + (r * j->c + ch) * j->inner, j->inner, (T)mean); \
            j->first[ch] = mean;                                                               \
            j->second[ch] = q / count;                                                         \
        }                                                                                      \
    }                                                                                          \
    /* first = Σ u, second = Σ u·(v − mean) per channel (u: output gradient, v: input) */      \
    NK_WIDE_RANGE(sums_range_##SUFFIX) {                                                       \
        const norm_job *j = context;                                                           \
        const T *u = j->u, *v = j->v;                                                          \
        for (int64_t ch = begin; ch < end; ch++) {                                             \
            double s = 0, q = 0;                                                               \
            for (int64_t r = 0; r < j->n; r++) {                                               \
                const int64_t at = (r * j->c + ch) * j->inner;                                 \
                s += run_sum_##SUFFIX(u + at, j->inner);                                       \
                q += run_centred_dot_##SUFFIX(u + at, v + at, j->inner, (T)j->mean[ch]);       \
            }                                                                                  \
            j->first[ch] = s;                                                                  \
            j->second[ch] = q;                                                                 \
        }                                                                                      \
    }                                                                                          \
    /* out = a·u + b·v + d per channel (v may be NULL), for rows [begin, end) */               \
    NK_WIDE_RANGE(affine_range_##SUFFIX) {                                                     \
        const norm_job *j = context;                                                           \
        for (int64_t r = begin; r < end; r++)                                                  \
            for (int64_t ch = 0; ch < j->c; ch++) {                                            \
                const int64_t at = (r * j->c + ch) * j->inner;                                 \
                const T *restrict u = (const T *)j->u + at;                                    \
                T *restrict o = (T *)j->out + at;                                              \
                const T a = (T)j->a[ch], d = (T)j->d[ch];                                      \
                if (j->v) {                                                                    \
                    const T *restrict v = (const T *)j->v + at;                                \
                    const T b = (T)j->b[ch];                                                   \
                    for (int64_t i = 0; i < j->inner; i++) o[i] = a * u[i] + b * v[i] + d;     \
                } else {                                                                       \
                    for (int64_t i = 0; i < j->inner; i++) o[i] = a * u[i] + d;                \
                }                                                                              \
            }                                                                                  \
    }                                                                                          \
    void nk_channel_stats_##SUFFIX(const T *x, int64_t n, int64_t c, int64_t inner, double *mean, \
                                   double *variance) {                                         \
        norm_job job = { .x = x, .first = mean, .second = variance, .n = n, .c = c, .inner = inner }; \
        nk_parallel_for(c, 1, stats_range_##SUFFIX, &job);                                     \
    }                                                                                          \
    void nk_channel_grad_sums_##SUFFIX(const T *gy, const T *x, const double *mean, int64_t n, \
                                       int64_t c, int64_t inner, double *sum, double *dot) {   \
        norm_job job = { .u = gy, .v = x, .mean = mean, .first = sum, .second = dot, .n = n, .c = c, \
                         .inner = inner };                                                     \
        nk_parallel_for(c, 1, sums_range_##SUFFIX, &job);                                      \
    }                                                                                          \
    void nk_channel_affine_##SUFFIX(const T *u, const T *v, T *out, const double *a, const double *b, \
                                    const double *d, int64_t n, int64_t c, int64_t inner) {    \
        norm_job job = { .u = u, .v = v, .out = out, .a = a, .b = b, .d = d, .n = n, .c = c,   \
                         .inner = inner };                                                     \
        nk_parallel_for(n, 1, affine_range_##SUFFIX, &job);                                    \
    }

DEFINE_NORM(f32, float)
DEFINE_NORM(f64, double)
