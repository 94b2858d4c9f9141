// Kernels on channel-blocked activations ([n][c/B][inner][B], B = 8 or 16, float32): the
// conversion from and to plain NCHW, and batch normalisation's per-channel statistics and
// affine maps, so a batch norm between two oneDNN convolutions reads their layout as it is.
// Each (sample, channel block) is one contiguous [inner][B] run whose B lanes are B channels:
// the loops run across lanes, one vector wide. Per-channel sums are taken per sample (in
// float32 with 4 partial sums per lane, then double) and added across samples in double.
#include "NeuronKernels.h"
#include "dispatch.h"

// The vector helpers below are always inlined, so their vector arguments never cross a call.
#pragma GCC diagnostic ignored "-Wpsabi"

typedef struct {
    const float *x, *u, *v;
    float *out;
    const double *mean, *a, *b, *d;
    double *first, *second; // per sample and channel, [n][c]
    int64_t n, c, inner, block;
    int to_blocked;
} blocked_job;

// B is a constant in each caller (8 or 16), so the lane loops become single vector operations.
NK_INLINE void convert_unit(const float *restrict from, float *restrict to, int64_t inner, int64_t B, int to_blocked) {
    if (to_blocked) {
        for (int64_t i = 0; i < inner; i++)
            for (int64_t l = 0; l < B; l++) to[i * B + l] = from[l * inner + i];
    } else {
        for (int64_t l = 0; l < B; l++)
            for (int64_t i = 0; i < inner; i++) to[l * inner + i] = from[i * B + l];
    }
}

NK_WIDE_RANGE(convert_range) {
    const blocked_job *j = context;
    const int64_t size = j->inner * j->block;
    for (int64_t unit = begin; unit < end; unit++) {
        const float *from = j->x + unit * size;
        float *to = j->out + unit * size;
        if (j->block == 16) convert_unit(from, to, j->inner, 16, j->to_blocked);
        else convert_unit(from, to, j->inner, 8, j->to_blocked);
    }
}

// Σ over one run of terms per lane: x, (x − m)², or u and u·(v − m), into first (and second).
// One vector holds the B lanes (GCC vector extensions: a zmm register with AVX-512, two ymm
// with AVX2), with 4 partial sums each.
enum { SUM, CENTRED_SQUARE, GRAD_SUMS };
typedef float v16 __attribute__((vector_size(64)));
typedef float v8 __attribute__((vector_size(32)));

#define DEFINE_LANES(B, V)                                                                     \
    NK_INLINE V load_##B(const float *p) { V v; __builtin_memcpy(&v, p, sizeof v); return v; } \
    NK_INLINE void store_##B(float *p, V v) { __builtin_memcpy(p, &v, sizeof v); }            \
    NK_INLINE V lanes_##B(const double *p) {                                                   \
        V v;                                                                                   \
        for (int l = 0; l < B; l++) v[l] = p ? (float)p[l] : 0.0f;                             \
        return v;                                                                              \
    }                                                                                          \
    NK_INLINE void lane_sums_##B(const float *restrict x, const float *restrict v, const double *mean, \
                                 int64_t inner, int kind, double *first, double *second) {     \
        const V m = lanes_##B(mean);                                                           \
        V s[4] = {0}, q[4] = {0};                                                              \
        int64_t i = 0;                                                                         \
        for (; i + 4 <= inner; i += 4)                                                         \
            for (int k = 0; k < 4; k++) {                                                      \
                const V t = load_##B(x + (i + k) * B);                                         \
                if (kind == SUM) s[k] += t;                                                    \
                else if (kind == CENTRED_SQUARE) s[k] += (t - m) * (t - m);                    \
                else {                                                                         \
                    s[k] += t;                                                                 \
                    q[k] += t * (load_##B(v + (i + k) * B) - m);                               \
                }                                                                              \
            }                                                                                  \
        for (; i < inner; i++) {                                                               \
            const V t = load_##B(x + i * B);                                                   \
            if (kind == SUM) s[0] += t;                                                        \
            else if (kind == CENTRED_SQUARE) s[0] += (t - m) * (t - m);                        \
            else {                                                                             \
                s[0] += t;                                                                     \
                q[0] += t * (load_##B(v + i * B) - m);                                         \
            }                                                                                  \
        }                                                                                      \
        for (int l = 0; l < B; l++) {                                                          \
            first[l] = (double)s[0][l] + (double)s[1][l] + (double)s[2][l] + (double)s[3][l];  \
            if (kind == GRAD_SUMS)                                                             \
                second[l] = (double)q[0][l] + (double)q[1][l] + (double)q[2][l] + (double)q[3][l]; \
        }                                                                                      \
    }                                                                                          \
    NK_INLINE void affine_unit_##B(const float *restrict u, const float *restrict v, float *restrict out, \
                                   const double *a, const double *b, const double *d, int64_t inner) { \
        const V va = lanes_##B(a), vb = lanes_##B(v ? b : NULL), vd = lanes_##B(d);            \
        if (v) {                                                                               \
            for (int64_t i = 0; i < inner; i++)                                                \
                store_##B(out + i * B, va * load_##B(u + i * B) + vb * load_##B(v + i * B) + vd); \
        } else {                                                                               \
            for (int64_t i = 0; i < inner; i++) store_##B(out + i * B, va * load_##B(u + i * B) + vd); \
        }                                                                                      \
    }
DEFINE_LANES(16, v16)
DEFINE_LANES(8, v8)

#define DEFINE_SUMS(NAME, KIND)                                                                \
    NK_WIDE_RANGE(NAME) {                                                                      \
        const blocked_job *j = context;                                                        \
        const int64_t blocks = j->c / j->block, size = j->inner * j->block;                    \
        for (int64_t r = begin; r < end; r++)                                                  \
            for (int64_t cb = 0; cb < blocks; cb++) {                                          \
                const int64_t at = (r * blocks + cb) * size, ch = cb * j->block;               \
                const float *v = j->v ? j->v + at : NULL;                                      \
                const double *m = j->mean ? j->mean + ch : NULL;                               \
                double *second = j->second ? j->second + r * j->c + ch : NULL;                 \
                if (j->block == 16)                                                            \
                    lane_sums_16(j->x + at, v, m, j->inner, KIND, j->first + r * j->c + ch, second); \
                else                                                                           \
                    lane_sums_8(j->x + at, v, m, j->inner, KIND, j->first + r * j->c + ch, second); \
            }                                                                                  \
    }
DEFINE_SUMS(sum_range, SUM)
DEFINE_SUMS(centred_square_range, CENTRED_SQUARE)
DEFINE_SUMS(grad_sums_range, GRAD_SUMS)

// Per-channel totals of per-sample sums [n][c], in sample order.
static void add_samples(const double *partial, int64_t n, int64_t c, double scale, double *total) {
    for (int64_t ch = 0; ch < c; ch++) total[ch] = 0;
    for (int64_t r = 0; r < n; r++)
        for (int64_t ch = 0; ch < c; ch++) total[ch] += partial[r * c + ch];
    for (int64_t ch = 0; ch < c; ch++) total[ch] *= scale;
}

void nk_channel_block_f32(const float *from, float *to, int64_t n, int64_t c, int64_t inner, int64_t block,
                          int to_blocked) {
    blocked_job job = { .x = from, .out = to, .n = n, .c = c, .inner = inner, .block = block, .to_blocked = to_blocked };
    nk_parallel_for(n * (c / block), 1, convert_range, &job);
}

void nk_blocked_channel_stats_f32(const float *x, int64_t n, int64_t c, int64_t inner, int64_t block, double *mean,
                                  double *variance) {
    size_t capacity;
    double *partial = nk_alloc(sizeof(double) * (size_t)(n * c), &capacity);
    const double count = (double)(n * inner);
    blocked_job job = { .x = x, .first = partial, .n = n, .c = c, .inner = inner, .block = block };
    nk_parallel_for(n, 1, sum_range, &job);
    add_samples(partial, n, c, 1.0 / count, mean);
    job.mean = mean;
    nk_parallel_for(n, 1, centred_square_range, &job);
    add_samples(partial, n, c, 1.0 / count, variance);
    nk_free(partial, capacity);
}

void nk_blocked_channel_grad_sums_f32(const float *gy, const float *x, const double *mean, int64_t n, int64_t c,
                                      int64_t inner, int64_t block, double *sum, double *dot) {
    size_t capacity;
    double *partial = nk_alloc(sizeof(double) * (size_t)(2 * n * c), &capacity);
    blocked_job job = { .x = gy, .v = x, .mean = mean, .first = partial, .second = partial + n * c,
                        .n = n, .c = c, .inner = inner, .block = block };
    nk_parallel_for(n, 1, grad_sums_range, &job);
    add_samples(partial, n, c, 1, sum);
    add_samples(partial + n * c, n, c, 1, dot);
    nk_free(partial, capacity);
}

// out = a·u + b·v + d per channel, for (sample, channel block) units [begin, end)
NK_WIDE_RANGE(affine_range) {
    const blocked_job *j = context;
    const int64_t blocks = j->c / j->block, size = j->inner * j->block;
    for (int64_t unit = begin; unit < end; unit++) {
        const int64_t at = unit * size, ch = (unit % blocks) * j->block;
        const float *v = j->v ? j->v + at : NULL;
        const double *b = j->b ? j->b + ch : NULL;
        if (j->block == 16) affine_unit_16(j->u + at, v, j->out + at, j->a + ch, b, j->d + ch, j->inner);
        else affine_unit_8(j->u + at, v, j->out + at, j->a + ch, b, j->d + ch, j->inner);
    }
}

void nk_blocked_channel_affine_f32(const float *u, const float *v, float *out, const double *a, const double *b,
                                   const double *d, int64_t n, int64_t c, int64_t inner, int64_t block) {
    blocked_job job = { .u = u, .v = v, .out = out, .a = a, .b = b, .d = d, .n = n, .c = c, .inner = inner,
                        .block = block };
    nk_parallel_for(n * (c / block), 1, affine_range, &job);
}
