// Gather, scatter-add, index-select and index-add over the middle axis of contiguous
// [outer, axis, inner] blocks. Each returns the first out-of-range index, or -1.
#include "NeuronKernels.h"
#include "dispatch.h"
#include <stdatomic.h>
#include <string.h>

// Rows of `outer` are independent (each writes only its own block), so both kernels split
// them over threads; a share stops at its first out-of-range index and reports it.
typedef struct {
    int element_size;
    const void *x;
    const int64_t *index;
    void *out;
    int64_t x_axis, index_axis, inner;
    _Atomic int64_t bad;
} index_job;

// The rows [begin, end) of one kernel: STORE(at, from) moves element `at` of the index-shaped
// side and element `from` of the axis-sized side.
#define INDEX_ROWS(STORE)                                                                      \
    for (int64_t o = begin; o < end; o++)                                                      \
        for (int64_t a = 0; a < j->index_axis; a++)                                            \
            for (int64_t i = 0; i < j->inner; i++) {                                           \
                int64_t at = (o * j->index_axis + a) * j->inner + i, k = j->index[at];         \
                if (k < 0 || k >= j->x_axis) { j->bad = k; return; }                           \
                STORE(at, (o * j->x_axis + k) * j->inner + i);                                 \
            }

#define GATHER_STORE(at, from) dst[at] = src[from]
#define SCATTER_STORE(at, from) out[from] += src[at]

#define GATHER_ROWS(T)                                                                         \
    {                                                                                          \
        const T *src = j->x;                                                                   \
        T *dst = j->out;                                                                       \
        INDEX_ROWS(GATHER_STORE)                                                               \
    }

static void gather_rows(void *context, int64_t begin, int64_t end) {
    index_job *j = context;
    switch (j->element_size) {
    case 1: GATHER_ROWS(uint8_t) break;
    case 2: GATHER_ROWS(uint16_t) break;
    case 4: GATHER_ROWS(uint32_t) break;
    default: GATHER_ROWS(uint64_t) break;
    }
}

// Rows per share: about 4K elements each.
static int64_t rows_grain(int64_t index_axis, int64_t inner) {
    int64_t per_row = index_axis * inner;
    return per_row >= 4096 ? 1 : 4096 / (per_row > 0 ? per_row : 1);
}

int64_t nk_gather(int element_size, const void *x, const int64_t *index, void *out, int64_t outer,
                  int64_t x_axis, int64_t index_axis, int64_t inner) {
    index_job job = { element_size, x, index, out, x_axis, index_axis, inner, -1 };
    nk_parallel_for(outer, rows_grain(index_axis, inner), gather_rows, &job);
    return job.bad;
}

#define SCATTER_ADD(NAME, T)                                                                   \
    NK_WIDE_RANGE(NAME##_rows) {                                                               \
        index_job *j = context;                                                                \
        const T *src = j->x;                                                                   \
        T *out = j->out;                                                                       \
        INDEX_ROWS(SCATTER_STORE)                                                              \
    }                                                                                          \
    int64_t NAME(T *out, const int64_t *index, const T *src, int64_t outer, int64_t out_axis,  \
                 int64_t index_axis, int64_t inner) {                                          \
        index_job job = { sizeof(T), src, index, out, out_axis, index_axis, inner, -1 };       \
        nk_parallel_for(outer, rows_grain(index_axis, inner), NAME##_rows, &job);              \
        return job.bad;                                                                        \
    }
SCATTER_ADD(nk_scatter_add_f32, float)
SCATTER_ADD(nk_scatter_add_f64, double)

int64_t nk_index_select(int element_size, const void *x, const int64_t *index, int64_t count,
                        void *out, int64_t outer, int64_t axis, int64_t inner) {
    for (int64_t j = 0; j < count; j++)
        if (index[j] < 0 || index[j] >= axis) return index[j];
    const char *src = x;
    char *dst = out;
    size_t row = (size_t)(inner * element_size);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < count; j++)
            memcpy(dst + (o * count + j) * row, src + (o * axis + index[j]) * row, row);
    return -1;
}

typedef struct { void *out; const int64_t *index; int64_t count; const void *src; int64_t axis, inner; } index_add_job;

// Outer slices are disjoint in `out`, so they split over threads; within one, repeated
// indices add up in order.
#define INDEX_ADD(NAME, T)                                                                     \
    NK_WIDE_RANGE(NAME##_slices) {                                                             \
        const index_add_job *j = context;                                                      \
        const int64_t count = j->count, axis = j->axis, inner = j->inner;                      \
        for (int64_t o = begin; o < end; o++)                                                  \
            for (int64_t k = 0; k < count; k++) {                                              \
                T *d = (T *)j->out + (o * axis + j->index[k]) * inner;                         \
                const T *s = (const T *)j->src + (o * count + k) * inner;                      \
                for (int64_t i = 0; i < inner; i++) d[i] += s[i];                              \
            }                                                                                  \
    }                                                                                          \
    int64_t NAME(T *out, const int64_t *index, int64_t count, const T *src, int64_t outer,     \
                 int64_t axis, int64_t inner) {                                                \
        for (int64_t k = 0; k < count; k++)                                                    \
            if (index[k] < 0 || index[k] >= axis) return index[k];                             \
        index_add_job job = { out, index, count, src, axis, inner };                           \
        nk_parallel_for(outer, 1 + 16384 / (count * inner + 1), NAME##_slices, &job);          \
        return -1;                                                                             \
    }
INDEX_ADD(nk_index_add_f32, float)
INDEX_ADD(nk_index_add_f64, double)
