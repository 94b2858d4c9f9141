// Sum and max/min over the middle axis of a contiguous [outer, reduce, inner] block.
#include "NeuronKernels.h"
#include "dispatch.h"
#include <string.h>

typedef struct { const void *x; void *out; int64_t *indices; int64_t reduce, inner; int is_min; } reduce_job;

// inner == 1 reduces contiguous rows with 16 independent partial sums (vectorisable without
// reassociating); inner > 1 accumulates whole rows into the output, also vectorisable.
#define SUM_RANGE(NAME, T)                                                                     \
    NK_WIDE_RANGE(NAME) {                                                                      \
        const reduce_job *job = context;                                                       \
        const int64_t reduce = job->reduce, inner = job->inner;                                \
        for (int64_t o = begin; o < end; o++) {                                                \
            const T *x = (const T *)job->x + o * reduce * inner;                               \
            T *out = (T *)job->out + o * inner;                                                \
            if (inner == 1) {                                                                  \
                T partial[16] = { 0 };                                                         \
                int64_t r = 0;                                                                 \
                for (; r + 16 <= reduce; r += 16)                                              \
                    for (int k = 0; k < 16; k++) partial[k] += x[r + k];                       \
                T total = 0;                                                                   \
                for (; r < reduce; r++) total += x[r];                                         \
                for (int k = 0; k < 16; k++) total += partial[k];                              \
                out[0] = total;                                                                \
            } else {                                                                           \
                memset(out, 0, (size_t)inner * sizeof(T));                                     \
                for (int64_t r = 0; r < reduce; r++) {                                         \
                    const T *row = x + r * inner;                                              \
                    for (int64_t i = 0; i < inner; i++) out[i] += row[i];                      \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }

SUM_RANGE(sum_f32_range, float)
SUM_RANGE(sum_f64_range, double)
SUM_RANGE(sum_i64_range, int64_t)

static void run_reduce(nk_range_fn fn, const void *x, void *out, int64_t *indices, int64_t outer,
                       int64_t reduce, int64_t inner, int is_min) {
    reduce_job job = { x, out, indices, reduce, inner, is_min };
    int64_t per_outer = reduce * inner;
    int64_t grain = per_outer >= 32768 ? 1 : 32768 / (per_outer > 0 ? per_outer : 1);
    nk_parallel_for(outer, grain, fn, &job);
}

void nk_sum_f32(const float *x, float *out, int64_t outer, int64_t reduce, int64_t inner) {
    run_reduce(sum_f32_range, x, out, NULL, outer, reduce, inner, 0);
}
void nk_sum_f64(const double *x, double *out, int64_t outer, int64_t reduce, int64_t inner) {
    run_reduce(sum_f64_range, x, out, NULL, outer, reduce, inner, 0);
}
void nk_sum_i64(const int64_t *x, int64_t *out, int64_t outer, int64_t reduce, int64_t inner) {
    run_reduce(sum_i64_range, x, out, NULL, outer, reduce, inner, 0);
}

// The first extreme wins ties; a NaN is the extreme once seen, as in PyTorch.
// is_min is a constant in each call of the _rows helper, so each loop compares one way.
#define EXTREME_RANGE(NAME, T)                                                                 \
    NK_INLINE void NAME##_rows(const reduce_job *job, int64_t begin, int64_t end, int is_min) { \
        const int64_t reduce = job->reduce, inner = job->inner;                                \
        for (int64_t o = begin; o < end; o++) {                                                \
            const T *x = (const T *)job->x + o * reduce * inner;                               \
            T *out = (T *)job->out + o * inner;                                                \
            int64_t *idx = job->indices ? job->indices + o * inner : NULL;                     \
            for (int64_t i = 0; i < inner; i++) {                                              \
                T best = x[i];                                                                 \
                int64_t at = 0;                                                                \
                for (int64_t r = 1; r < reduce && best == best; r++) {                         \
                    T v = x[r * inner + i];                                                    \
                    int better = is_min ? (v < best) : (v > best);                             \
                    if (better || v != v) { best = v; at = r; }                                \
                }                                                                              \
                out[i] = best;                                                                 \
                if (idx) idx[i] = at;                                                          \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    NK_WIDE_AVX2_RANGE(NAME) {                                                                 \
        const reduce_job *job = context;                                                       \
        if (job->is_min) NAME##_rows(job, begin, end, 1);                                      \
        else NAME##_rows(job, begin, end, 0);                                                  \
    }

EXTREME_RANGE(extreme_f32_range, float)
EXTREME_RANGE(extreme_f64_range, double)
EXTREME_RANGE(extreme_i64_range, int64_t)

void nk_extreme_f32(const float *x, float *out, int64_t *indices, int64_t outer, int64_t reduce,
                    int64_t inner, int is_min) {
    run_reduce(extreme_f32_range, x, out, indices, outer, reduce, inner, is_min);
}
void nk_extreme_f64(const double *x, double *out, int64_t *indices, int64_t outer,
                    int64_t reduce, int64_t inner, int is_min) {
    run_reduce(extreme_f64_range, x, out, indices, outer, reduce, inner, is_min);
}
void nk_extreme_i64(const int64_t *x, int64_t *out, int64_t *indices, int64_t outer,
                    int64_t reduce, int64_t inner, int is_min) {
    run_reduce(extreme_i64_range, x, out, indices, outer, reduce, inner, is_min);
}
