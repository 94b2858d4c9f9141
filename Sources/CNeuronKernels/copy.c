// Strided copies (contiguous(), concatenation, padding, slice scatter), casts and fills.
#include "NeuronKernels.h"
#include "dispatch.h"
#include "strided.h"
#include <string.h>

typedef struct { nk_layout layout; const void *src; void *dst; int element_size; } copy_job;

#define COPY_LOOP(T)                                                                           \
    {                                                                                          \
        const T *src = job->src;                                                               \
        T *dst = job->dst;                                                                     \
        nk_walker w;                                                                           \
        nk_walker_start(&w, &job->layout, begin, end);                                         \
        int last = job->layout.ndim - 1;                                                       \
        int64_t ss = job->layout.stride[0][last], sd = job->layout.stride[1][last];            \
        int64_t offsets[2], count;                                                             \
        while ((count = nk_walker_row(&w, offsets)) > 0) {                                     \
            const T *rs = src + offsets[0];                                                    \
            T *rd = dst + offsets[1];                                                          \
            if (ss == 1 && sd == 1) memcpy(rd, rs, (size_t)count * sizeof(T));                 \
            else for (int64_t i = 0; i < count; i++) rd[i * sd] = rs[i * ss];                  \
            nk_walker_advance(&w, count);                                                      \
        }                                                                                      \
    }

NK_WIDE_RANGE(copy_range) {
    const copy_job *job = context;
    switch (job->element_size) {
    case 1: COPY_LOOP(uint8_t) break;
    case 2: COPY_LOOP(uint16_t) break;
    case 4: COPY_LOOP(uint32_t) break;
    default: COPY_LOOP(uint64_t) break;
    }
}

void nk_copy(int element_size, int ndim, const int64_t *shape, const void *src,
             const int64_t *ssrc, void *dst, const int64_t *sdst) {
    copy_job job;
    const int64_t *strides[2] = { ssrc, sdst };
    nk_layout_make(&job.layout, ndim, shape, 2, strides);
    job.src = src;
    job.dst = dst;
    job.element_size = element_size;
    nk_parallel_for(nk_layout_count(&job.layout), 16384, copy_range, &job);
}

// bfloat16 (dtype 4) is the top half of a float32: narrowing rounds to nearest even (NaNs
// stay quiet NaNs), widening is exact. Other types reach it through float32, as PyTorch does.
static inline float bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline uint16_t f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

#define CAST_LOOP(TS, TD)                                                                      \
    {                                                                                          \
        const TS *s = src;                                                                     \
        TD *d = dst;                                                                           \
        for (int64_t i = 0; i < n; i++) d[i] = (TD)s[i];                                       \
    }
#define CAST_TO_BOOL(TS)                                                                       \
    {                                                                                          \
        const TS *s = src;                                                                     \
        uint8_t *d = dst;                                                                      \
        for (int64_t i = 0; i < n; i++) d[i] = s[i] != 0;                                      \
    }
#define CAST_TO_BF16(TS)                                                                       \
    {                                                                                          \
        const TS *s = src;                                                                     \
        uint16_t *d = dst;                                                                     \
        for (int64_t i = 0; i < n; i++) d[i] = f32_to_bf16((float)s[i]);                       \
    }
#define CAST_FROM(TS)                                                                          \
    switch (to) {                                                                              \
    case 0: CAST_LOOP(TS, float) break;                                                        \
    case 1: CAST_LOOP(TS, double) break;                                                       \
    case 2: CAST_LOOP(TS, int64_t) break;                                                      \
    case 4: CAST_TO_BF16(TS) break;                                                            \
    default: CAST_TO_BOOL(TS) break;                                                           \
    }

#define CAST_FROM_BF16(TD)                                                                     \
    {                                                                                          \
        const uint16_t *s = src;                                                               \
        TD *d = dst;                                                                           \
        for (int64_t i = 0; i < n; i++) d[i] = (TD)bf16_to_f32(s[i]);                          \
    }

typedef struct { int from, to; const char *src; char *dst; } cast_job;

// Bytes per element of a DType raw value (float32, float64, int64, bool, bfloat16).
static int64_t dtype_size(int code) { return code == 0 ? 4 : code == 1 || code == 2 ? 8 : code == 4 ? 2 : 1; }

NK_WIDE_RANGE(cast_range) {
    const cast_job *j = context;
    const int from = j->from, to = j->to;
    const void *src = j->src + begin * dtype_size(from);
    void *dst = j->dst + begin * dtype_size(to);
    const int64_t n = end - begin;
    switch (from) {
    case 0: CAST_FROM(float) break;
    case 1: CAST_FROM(double) break;
    case 2: CAST_FROM(int64_t) break;
    case 4:
        switch (to) {
        case 0: CAST_FROM_BF16(float) break;
        case 1: CAST_FROM_BF16(double) break;
        case 2: CAST_FROM_BF16(int64_t) break;
        case 4: memcpy(dst, src, (size_t)n * 2); break;
        default: {
            const uint16_t *s = src;
            uint8_t *d = dst;
            for (int64_t i = 0; i < n; i++) d[i] = (s[i] & 0x7fffu) != 0;
        }
        }
        break;
    default: CAST_FROM(uint8_t) break;
    }
}

void nk_cast(int from, int to, const void *src, void *dst, int64_t n) {
    cast_job job = { from, to, src, dst };
    nk_parallel_for(n, 16384, cast_range, &job);
}

typedef struct { int element_size; char *dst; const void *value; } fill_job;

NK_WIDE_RANGE(fill_range) {
    const fill_job *j = context;
    void *dst = j->dst + begin * j->element_size;
    const int64_t n = end - begin;
    switch (j->element_size) {
    case 1: memset(dst, *(const uint8_t *)j->value, (size_t)n); break;
    case 2: {
        uint16_t v, *d = dst;
        memcpy(&v, j->value, 2);
        for (int64_t i = 0; i < n; i++) d[i] = v;
        break;
    }
    case 4: {
        uint32_t v, *d = dst;
        memcpy(&v, j->value, 4);
        for (int64_t i = 0; i < n; i++) d[i] = v;
        break;
    }
    default: {
        uint64_t v, *d = dst;
        memcpy(&v, j->value, 8);
        for (int64_t i = 0; i < n; i++) d[i] = v;
        break;
    }
    }
}

void nk_fill(int element_size, void *dst, int64_t n, const void *value) {
    fill_job job = { element_size, dst, value };
    nk_parallel_for(n, 32768, fill_range, &job);
}
