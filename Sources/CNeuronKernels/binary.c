// Broadcasting binary arithmetic, comparisons and `where` over strided operands.
// The output is contiguous; inputs are read through strides (0 on broadcast dimensions).
#include "NeuronKernels.h"
#include "dispatch.h"
#include "fastmath.h"
#include "strided.h"
#include <math.h>

typedef struct {
    nk_layout layout;
    const void *a, *b, *c;
    void *out;
    int op, element_size;
} binary_job;

// One row walker per element type and operation; the four stride patterns get their own
// loops so the common contiguous and scalar-broadcast cases vectorise.
#define ROW_LOOP(TA, TOUT, EXPR)                                                               \
    {                                                                                          \
        const TA *restrict pa = (const TA *)job->a, *restrict pb = (const TA *)job->b;         \
        TOUT *restrict po = (TOUT *)job->out;                                                  \
        nk_walker w;                                                                           \
        nk_walker_start(&w, &job->layout, begin, end);                                         \
        int last = job->layout.ndim - 1;                                                       \
        int64_t sa = job->layout.stride[0][last], sb = job->layout.stride[1][last];            \
        int64_t offsets[2], count;                                                             \
        while ((count = nk_walker_row(&w, offsets)) > 0) {                                     \
            const TA *restrict ra = pa + offsets[0], *restrict rb = pb + offsets[1];           \
            TOUT *restrict ro = po + w.position;                                               \
            if (sa == 1 && sb == 1) {                                                          \
                for (int64_t i = 0; i < count; i++) { TA x = ra[i], y = rb[i]; ro[i] = (EXPR); } \
            } else if (sa == 1 && sb == 0) {                                                   \
                TA y = rb[0];                                                                  \
                for (int64_t i = 0; i < count; i++) { TA x = ra[i]; ro[i] = (EXPR); }          \
            } else if (sa == 0 && sb == 1) {                                                   \
                TA x = ra[0];                                                                  \
                for (int64_t i = 0; i < count; i++) { TA y = rb[i]; ro[i] = (EXPR); }          \
            } else {                                                                           \
                for (int64_t i = 0; i < count; i++) {                                          \
                    TA x = ra[i * sa], y = rb[i * sb];                                         \
                    ro[i] = (EXPR);                                                            \
                }                                                                              \
            }                                                                                  \
            nk_walker_advance(&w, count);                                                      \
        }                                                                                      \
    }

#define MAX_NAN(x, y) ((x) != (x) ? (x) : ((y) != (y) ? (y) : ((x) > (y) ? (x) : (y))))
#define MIN_NAN(x, y) ((x) != (x) ? (x) : ((y) != (y) ? (y) : ((x) < (y) ? (x) : (y))))

NK_INLINE int64_t ipow(int64_t base, int64_t exponent) {
    if (exponent < 0) return base == 1 ? 1 : (base == -1 ? (exponent & 1 ? -1 : 1) : 0);
    int64_t result = 1;
    while (exponent) {
        if (exponent & 1) result *= base;
        base *= base;
        exponent >>= 1;
    }
    return result;
}

// GELU's derivative times the incoming gradient x at input y: x · (Φ(y) + y · φ(y)); float32
// with the forward's vectorised erf and exp, float64 with libm's.
#define GELU_GRAD_F32(x, y) ((x) * (0.5f * (1.0f + nk_erff_gelu((y) * 0.70710678f)) + (y) * 0.39894228f * nk_expf(-0.5f * (y) * (y))))
#define GELU_GRAD_F64(x, y) ((x) * (0.5 * (1.0 + erf((y) * 0.70710678118654752)) + (y) * 0.39894228040143268 * exp(-0.5 * (y) * (y))))
#define GELU_GRAD_I64(x, y) ((x) * 0 * (y)) /* no integer GELU; the operands keep the loops uniform */

#define DEFINE_ARITHMETIC(NAME, T, POW, GELU_GRAD)                                             \
    NK_WIDE_RANGE(NAME) {                                                                      \
        const binary_job *job = context;                                                       \
        switch (job->op) {                                                                     \
        case NK_ADD: ROW_LOOP(T, T, x + y) break;                                              \
        case NK_SUB: ROW_LOOP(T, T, x - y) break;                                              \
        case NK_MUL: ROW_LOOP(T, T, x * y) break;                                              \
        case NK_DIV: ROW_LOOP(T, T, DIVIDE(x, y)) break;                                       \
        case NK_POW: ROW_LOOP(T, T, POW(x, y)) break;                                          \
        case NK_MAXIMUM: ROW_LOOP(T, T, MAX_NAN(x, y)) break;                                  \
        case NK_MINIMUM: ROW_LOOP(T, T, MIN_NAN(x, y)) break;                                  \
        case NK_MASK_POSITIVE: ROW_LOOP(T, T, y > 0 ? x : (T)0) break;                         \
        case NK_GELU_GRAD: ROW_LOOP(T, T, GELU_GRAD(x, y)) break;                              \
        case NK_SIGMOID_GRAD: ROW_LOOP(T, T, x * y * (1 - y)) break;                           \
        case NK_TANH_GRAD: ROW_LOOP(T, T, x * (1 - y * y)) break;                              \
        }                                                                                      \
    }

#define DIVIDE(x, y) ((x) / (y))
DEFINE_ARITHMETIC(binary_f32_range, float, nk_pow, GELU_GRAD_F32)
DEFINE_ARITHMETIC(binary_f64_range, double, nk_pow, GELU_GRAD_F64)
#undef DIVIDE
// Integer division truncates; division by zero gives 0 instead of trapping.
#define DIVIDE(x, y) ((y) == 0 ? 0 : (x) / (y))
DEFINE_ARITHMETIC(binary_i64_range, int64_t, ipow, GELU_GRAD_I64)
#undef DIVIDE

#define DEFINE_COMPARE(NAME, T)                                                                \
    NK_WIDE_RANGE(NAME) {                                                                      \
        const binary_job *job = context;                                                       \
        switch (job->op) {                                                                     \
        case NK_EQ: ROW_LOOP(T, uint8_t, x == y) break;                                        \
        case NK_NE: ROW_LOOP(T, uint8_t, x != y) break;                                        \
        case NK_LT: ROW_LOOP(T, uint8_t, x < y) break;                                         \
        case NK_LE: ROW_LOOP(T, uint8_t, x <= y) break;                                        \
        case NK_GT: ROW_LOOP(T, uint8_t, x > y) break;                                         \
        case NK_GE: ROW_LOOP(T, uint8_t, x >= y) break;                                        \
        }                                                                                      \
    }

DEFINE_COMPARE(compare_f32_range, float)
DEFINE_COMPARE(compare_f64_range, double)
DEFINE_COMPARE(compare_i64_range, int64_t)
DEFINE_COMPARE(compare_u8_range, uint8_t)

static void run_binary(int op, int ndim, const int64_t *shape, const void *a, const int64_t *sa,
                       const void *b, const int64_t *sb, void *out, nk_range_fn fn) {
    binary_job job;
    const int64_t *strides[2] = { sa, sb };
    nk_layout_make(&job.layout, ndim, shape, 2, strides);
    job.a = a;
    job.b = b;
    job.out = out;
    job.op = op;
    nk_parallel_for(nk_layout_count(&job.layout), 8192, fn, &job);
}

#define DEFINE_ENTRY(NAME, T, TOUT, RANGE)                                                     \
    void NAME(int op, int ndim, const int64_t *shape, const T *a, const int64_t *sa,           \
              const T *b, const int64_t *sb, TOUT *out) {                                      \
        run_binary(op, ndim, shape, a, sa, b, sb, out, RANGE);                                 \
    }

DEFINE_ENTRY(nk_binary_f32, float, float, binary_f32_range)
DEFINE_ENTRY(nk_binary_f64, double, double, binary_f64_range)
DEFINE_ENTRY(nk_binary_i64, int64_t, int64_t, binary_i64_range)
DEFINE_ENTRY(nk_compare_f32, float, uint8_t, compare_f32_range)
DEFINE_ENTRY(nk_compare_f64, double, uint8_t, compare_f64_range)
DEFINE_ENTRY(nk_compare_i64, int64_t, uint8_t, compare_i64_range)
DEFINE_ENTRY(nk_compare_u8, uint8_t, uint8_t, compare_u8_range)

// ---------------------------------------------------------------- where
#define WHERE_LOOP(T)                                                                          \
    {                                                                                          \
        const uint8_t *pc = job->c;                                                            \
        const T *pa = job->a, *pb = job->b;                                                    \
        T *po = job->out;                                                                      \
        nk_walker w;                                                                           \
        nk_walker_start(&w, &job->layout, begin, end);                                         \
        int last = job->layout.ndim - 1;                                                       \
        int64_t sc = job->layout.stride[0][last], sa = job->layout.stride[1][last];            \
        int64_t sb = job->layout.stride[2][last], offsets[3], count;                           \
        while ((count = nk_walker_row(&w, offsets)) > 0) {                                     \
            const uint8_t *rc = pc + offsets[0];                                               \
            const T *ra = pa + offsets[1], *rb = pb + offsets[2];                              \
            T *ro = po + w.position;                                                           \
            for (int64_t i = 0; i < count; i++) ro[i] = rc[i * sc] ? ra[i * sa] : rb[i * sb];  \
            nk_walker_advance(&w, count);                                                      \
        }                                                                                      \
    }

NK_WIDE_RANGE(where_range) {
    const binary_job *job = context;
    switch (job->element_size) {
    case 1: WHERE_LOOP(uint8_t) break;
    case 2: WHERE_LOOP(uint16_t) break;
    case 4: WHERE_LOOP(uint32_t) break;
    default: WHERE_LOOP(uint64_t) break;
    }
}

void nk_where(int element_size, int ndim, const int64_t *shape, const uint8_t *cond,
              const int64_t *sc, const void *a, const int64_t *sa, const void *b,
              const int64_t *sb, void *out) {
    binary_job job;
    const int64_t *strides[3] = { sc, sa, sb };
    nk_layout_make(&job.layout, ndim, shape, 3, strides);
    job.c = cond;
    job.a = a;
    job.b = b;
    job.out = out;
    job.element_size = element_size;
    nk_parallel_for(nk_layout_count(&job.layout), 32768, where_range, &job);
}
