// Shared helpers for kernels that walk broadcast/strided views: dimension collapsing and
// an N-d row walker that can start at any flat output position (for splitting over threads).
#ifndef NEURON_STRIDED_H
#define NEURON_STRIDED_H
#include <stdint.h>
#include <string.h>

enum { NK_MAX_DIMS = 16, NK_MAX_OPERANDS = 4 };

typedef struct {
    int ndim, operands;
    int64_t shape[NK_MAX_DIMS];
    int64_t stride[NK_MAX_OPERANDS][NK_MAX_DIMS];
} nk_layout;

// Drops size-1 dimensions and merges neighbours that are contiguous for every operand.
static inline void nk_layout_make(nk_layout *l, int ndim, const int64_t *shape, int operands,
                                  const int64_t *const *strides) {
    l->operands = operands;
    l->ndim = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 1) continue;
        int last = l->ndim - 1;
        int merge = last >= 0;
        for (int o = 0; merge && o < operands; o++)
            merge = l->stride[o][last] == strides[o][d] * shape[d];
        if (merge) {
            l->shape[last] *= shape[d];
            for (int o = 0; o < operands; o++) l->stride[o][last] = strides[o][d];
        } else {
            l->shape[l->ndim] = shape[d];
            for (int o = 0; o < operands; o++) l->stride[o][l->ndim] = strides[o][d];
            l->ndim++;
        }
    }
    if (l->ndim == 0) {
        l->ndim = 1;
        l->shape[0] = 1;
        for (int o = 0; o < operands; o++) l->stride[o][0] = 0;
    }
}

static inline int64_t nk_layout_count(const nk_layout *l) {
    int64_t n = 1;
    for (int d = 0; d < l->ndim; d++) n *= l->shape[d];
    return n;
}

// Walks rows (runs along the last dimension) of the flat range [begin, end).
typedef struct {
    const nk_layout *l;
    int64_t index[NK_MAX_DIMS];
    int64_t position, end;
} nk_walker;

static inline void nk_walker_start(nk_walker *w, const nk_layout *l, int64_t begin, int64_t end) {
    w->l = l;
    w->position = begin;
    w->end = end;
    int64_t rest = begin;
    for (int d = l->ndim - 1; d >= 0; d--) {
        w->index[d] = rest % l->shape[d];
        rest /= l->shape[d];
    }
}

// Fills the operands' element offsets for the current row and returns its length (0 at the end).
static inline int64_t nk_walker_row(const nk_walker *w, int64_t *offsets) {
    if (w->position >= w->end) return 0;
    const nk_layout *l = w->l;
    for (int o = 0; o < l->operands; o++) {
        int64_t offset = 0;
        for (int d = 0; d < l->ndim; d++) offset += w->index[d] * l->stride[o][d];
        offsets[o] = offset;
    }
    int last = l->ndim - 1;
    int64_t count = l->shape[last] - w->index[last];
    if (count > w->end - w->position) count = w->end - w->position;
    return count;
}

static inline void nk_walker_advance(nk_walker *w, int64_t count) {
    const nk_layout *l = w->l;
    w->position += count;
    int d = l->ndim - 1;
    w->index[d] += count;
    while (d > 0 && w->index[d] >= l->shape[d]) {
        w->index[d] = 0;
        d--;
        w->index[d]++;
    }
}

#endif
