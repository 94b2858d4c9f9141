// Gather, scatter-add, index-select and index-add over the middle axis of contiguous
// [outer, axis, inner] blocks. Each returns the first out-of-range index, or -1.
#include "NeuronKernels.h"
#include "dispatch.h"
#include <string.h>

int64_t nk_gather(int element_size, const void *x, const int64_t *index, void *out, int64_t outer,
                  int64_t x_axis, int64_t index_axis, int64_t inner) {
    const char *src = x;
    char *dst = out;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < index_axis; j++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t k = index[(o * index_axis + j) * inner + i];
                if (k < 0 || k >= x_axis) return k;
                memcpy(dst + ((o * index_axis + j) * inner + i) * element_size,
                       src + ((o * x_axis + k) * inner + i) * element_size, (size_t)element_size);
            }
    return -1;
}

#define SCATTER_ADD(NAME, T)                                                                   \
    NK_WIDE                                                                                    \
    int64_t NAME(T *out, const int64_t *index, const T *src, int64_t outer, int64_t out_axis,  \
                 int64_t index_axis, int64_t inner) {                                          \
        for (int64_t o = 0; o < outer; o++)                                                    \
            for (int64_t j = 0; j < index_axis; j++)                                           \
                for (int64_t i = 0; i < inner; i++) {                                          \
                    int64_t at = (o * index_axis + j) * inner + i;                             \
                    int64_t k = index[at];                                                     \
                    if (k < 0 || k >= out_axis) return k;                                      \
                    out[(o * out_axis + k) * inner + i] += src[at];                            \
                }                                                                              \
        return -1;                                                                             \
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

#define INDEX_ADD(NAME, T)                                                                     \
    NK_WIDE                                                                                    \
    int64_t NAME(T *out, const int64_t *index, int64_t count, const T *src, int64_t outer,     \
                 int64_t axis, int64_t inner) {                                                \
        for (int64_t j = 0; j < count; j++)                                                    \
            if (index[j] < 0 || index[j] >= axis) return index[j];                             \
        for (int64_t o = 0; o < outer; o++)                                                    \
            for (int64_t j = 0; j < count; j++) {                                              \
                T *d = out + (o * axis + index[j]) * inner;                                    \
                const T *s = src + (o * count + j) * inner;                                    \
                for (int64_t i = 0; i < inner; i++) d[i] += s[i];                              \
            }                                                                                  \
        return -1;                                                                             \
    }
INDEX_ADD(nk_index_add_f32, float)
INDEX_ADD(nk_index_add_f64, double)
