// 2-D convolution as im2col + one large GEMM per group over the whole batch: the columns
// of every sample sit side by side ([k, n·p]), so GEMM sees big matrices it splits well over
// both cores. The three products (forward, adjoint in x, gradient in w) share one geometry;
// 1-D convolutions use h = 1. Float32 goes to oneDNN first where it wins (dnnl_conv.c).
#include "NeuronKernels.h"
#include "dispatch.h"
#include <pthread.h>
#include <string.h>
#include <time.h>

// Columns of one sample's group (cg channels) into col, whose rows are `ld` apart.
#define DEFINE_IM2COL(NAME, T)                                                                 \
    NK_INLINE void NAME(const nk_conv_geometry *g, const T *x, T *col, int64_t ld) {           \
        const int64_t cg = g->c / g->groups;                                                   \
        for (int64_t c = 0; c < cg; c++)                                                       \
            for (int64_t ki = 0; ki < g->kh; ki++)                                             \
                for (int64_t kj = 0; kj < g->kw; kj++) {                                       \
                    T *row = col + ((c * g->kh + ki) * g->kw + kj) * ld;                       \
                    const T *plane = x + c * g->h * g->w;                                      \
                    for (int64_t oy = 0; oy < g->oh; oy++) {                                   \
                        int64_t iy = oy * g->sh - g->pt + ki * g->dh;                          \
                        T *dst = row + oy * g->ow;                                             \
                        if (iy < 0 || iy >= g->h) { memset(dst, 0, sizeof(T) * g->ow); continue; } \
                        const T *src = plane + iy * g->w;                                      \
                        int64_t x0 = kj * g->dw - g->pl;                                       \
                        if (g->sw == 1 && x0 >= 0 && x0 + g->ow <= g->w) {                     \
                            const T *from = src + x0;                                          \
                            for (int64_t ox = 0; ox < g->ow; ox++) dst[ox] = from[ox];         \
                            continue;                                                          \
                        }                                                                      \
                        if (g->sw == 1) { /* zeros, the overlapping run, zeros */              \
                            int64_t lo = x0 < 0 ? -x0 : 0, hi = g->w - x0;                     \
                            if (hi > g->ow) hi = g->ow;                                        \
                            if (lo > g->ow) lo = g->ow;                                        \
                            for (int64_t ox = 0; ox < lo; ox++) dst[ox] = 0;                   \
                            for (int64_t ox = lo; ox < hi; ox++) dst[ox] = src[ox + x0];       \
                            for (int64_t ox = hi > lo ? hi : lo; ox < g->ow; ox++) dst[ox] = 0; \
                            continue;                                                          \
                        }                                                                      \
                        for (int64_t ox = 0; ox < g->ow; ox++) {                               \
                            int64_t ix = ox * g->sw + x0;                                      \
                            dst[ox] = (ix >= 0 && ix < g->w) ? src[ix] : (T)0;                 \
                        }                                                                      \
                    }                                                                          \
                }                                                                              \
    }

#define DEFINE_COL2IM(NAME, T)                                                                 \
    NK_INLINE void NAME(const nk_conv_geometry *g, const T *col, int64_t ld, T *x) {           \
        const int64_t cg = g->c / g->groups;                                                   \
        for (int64_t c = 0; c < cg; c++)                                                       \
            for (int64_t ki = 0; ki < g->kh; ki++)                                             \
                for (int64_t kj = 0; kj < g->kw; kj++) {                                       \
                    const T *row = col + ((c * g->kh + ki) * g->kw + kj) * ld;                 \
                    T *plane = x + c * g->h * g->w;                                            \
                    for (int64_t oy = 0; oy < g->oh; oy++) {                                   \
                        int64_t iy = oy * g->sh - g->pt + ki * g->dh;                          \
                        if (iy < 0 || iy >= g->h) continue;                                    \
                        const T *src = row + oy * g->ow;                                       \
                        T *dst = plane + iy * g->w;                                            \
                        int64_t x0 = kj * g->dw - g->pl;                                       \
                        /* output columns whose input column x0 + ox·sw lies inside the row */ \
                        int64_t lo = x0 < 0 ? (-x0 + g->sw - 1) / g->sw : 0;                   \
                        int64_t hi = x0 >= g->w ? 0 : (g->w - 1 - x0) / g->sw + 1;             \
                        if (hi > g->ow) hi = g->ow;                                            \
                        if (g->sw == 1) {                                                      \
                            T *to = dst + x0;                                                  \
                            for (int64_t ox = lo; ox < hi; ox++) to[ox] += src[ox];            \
                        } else {                                                               \
                            for (int64_t ox = lo; ox < hi; ox++) dst[x0 + ox * g->sw] += src[ox]; \
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
    const void *image;   // x-space tensor [n, c, h, w]
    void *columns;       // [groups][k, n·p]
    void *outputs;       // y-space as [oc, n·p]
    void *y;             // y-space tensor [n, oc, p]
} conv_job;

// Batched columns [groups][k, n·p] from x, and back (adding into a zeroed x).
#define DEFINE_BATCH(SUFFIX, T)                                                                \
    NK_WIDE_RANGE(gather_columns_##SUFFIX) {                                                   \
        const conv_job *j = context;                                                           \
        const nk_conv_geometry *g = j->g;                                                      \
        const int64_t cg = g->c / g->groups, k = cg * g->kh * g->kw, p = g->oh * g->ow;        \
        for (int64_t n = begin; n < end; n++)                                                  \
            for (int64_t gi = 0; gi < g->groups; gi++)                                         \
                im2col_##SUFFIX(g, (const T *)j->image + (n * g->c + gi * cg) * g->h * g->w,   \
                                (T *)j->columns + gi * k * g->n * p + n * p, g->n * p);        \
    }                                                                                          \
    NK_WIDE_RANGE(scatter_columns_##SUFFIX) {                                                  \
        const conv_job *j = context;                                                           \
        const nk_conv_geometry *g = j->g;                                                      \
        const int64_t cg = g->c / g->groups, k = cg * g->kh * g->kw, p = g->oh * g->ow;        \
        for (int64_t n = begin; n < end; n++) {                                                \
            T *x = (T *)j->image + n * g->c * g->h * g->w;                                     \
            memset(x, 0, sizeof(T) * g->c * g->h * g->w);                                      \
            for (int64_t gi = 0; gi < g->groups; gi++)                                         \
                col2im_##SUFFIX(g, (const T *)j->columns + gi * k * g->n * p + n * p, g->n * p, \
                                x + gi * cg * g->h * g->w);                                    \
        }                                                                                      \
    }                                                                                          \
    /* [oc, n·p] <-> [n, oc, p] */                                                             \
    static void to_batch_major_##SUFFIX(void *context, int64_t begin, int64_t end) {           \
        const conv_job *j = context;                                                           \
        const nk_conv_geometry *g = j->g;                                                      \
        const int64_t p = g->oh * g->ow;                                                       \
        for (int64_t n = begin; n < end; n++)                                                  \
            for (int64_t o = 0; o < g->oc; o++)                                                \
                memcpy((T *)j->y + (n * g->oc + o) * p, (const T *)j->outputs + (o * g->n + n) * p, sizeof(T) * p); \
    }                                                                                          \
    static void to_channel_major_##SUFFIX(void *context, int64_t begin, int64_t end) {         \
        const conv_job *j = context;                                                           \
        const nk_conv_geometry *g = j->g;                                                      \
        const int64_t p = g->oh * g->ow;                                                       \
        for (int64_t n = begin; n < end; n++)                                                  \
            for (int64_t o = 0; o < g->oc; o++)                                                \
                memcpy((T *)j->outputs + (o * g->n + n) * p, (const T *)j->y + (n * g->oc + o) * p, sizeof(T) * p); \
    }                                                                                          \
    static T *scratch_##SUFFIX(int64_t count, size_t *capacity) {                              \
        return nk_alloc((size_t)count * sizeof(T), capacity);                                  \
    }

DEFINE_BATCH(f32, float)
DEFINE_BATCH(f64, double)

// Float32 goes to oneDNN's direct kernels where they win (bench/dnnl_resnet_convs.c): always
// forward; in x and w only from 4 and 8 input channels per group, below which the blocked
// layouts waste most of each vector and the column products are faster.
static int runs_on_dnnl(int pass, const nk_conv_geometry *g);
#define TRY_DNNL_f32(pass, g, a, b, out) (runs_on_dnnl(pass, g) && nk_dnnl_conv2d_f32(pass, g, a, b, out) == 0)
#define TRY_DNNL_f64(pass, g, a, b, out) 0

#define GRAIN(g) ((g)->n > 1 ? 1 : 2)
static void weight_grad_columns_f32(const nk_conv_geometry *g, const float *x, const float *y, float *dw);
static void weight_grad_columns_f64(const nk_conv_geometry *g, const double *x, const double *y, double *dw);
static int dnnl_wins_weight_grad(const nk_conv_geometry *g);
// Elements of im2col columns per chunk of the weight gradient (512 KB of float32): written and
// read back from the core's own cache rather than memory (bench lenet: best of 128 KB-2 MB).
#define WEIGHT_GRAD_CHUNK_ELEMENTS (128 * 1024)

typedef struct {
    const nk_conv_geometry *g;
    const void *x, *y;
    void *dw, *partials; // shares after the first sum into partials, then into dw
    int64_t shares, chunk;
} weight_grad_job;
// Depthwise convolutions (one input and one output channel per group) have oneDNN kernels of
// their own in every pass, far faster than a one-row GEMM per channel.
#define DEPTHWISE(g) ((g)->groups > 1 && (g)->groups == (g)->c && (g)->oc == (g)->c)

int64_t nk_conv2d_column_count(const nk_conv_geometry *g) {
    return g->c * g->kh * g->kw * g->n * g->oh * g->ow;
}

#define DEFINE_CONV(SUFFIX, T)                                                                 \
    void nk_conv2d_columns_##SUFFIX(const nk_conv_geometry *g, const T *x, T *columns) {       \
        conv_job job = { g, x, columns, NULL, NULL };                                          \
        nk_parallel_for(g->n, GRAIN(g), gather_columns_##SUFFIX, &job);                        \
    }                                                                                          \
    void nk_conv2d_from_columns_##SUFFIX(const nk_conv_geometry *g, const T *columns, const T *w, T *y) { \
        const int64_t cg = g->c / g->groups, ocg = g->oc / g->groups;                          \
        const int64_t k = cg * g->kh * g->kw, np = g->n * g->oh * g->ow;                       \
        size_t ocap;                                                                           \
        T *outputs = scratch_##SUFFIX(g->oc * np, &ocap);                                      \
        conv_job job = { g, NULL, (void *)columns, outputs, y };                               \
        for (int64_t gi = 0; gi < g->groups; gi++)                                             \
            nk_gemm_##SUFFIX(0, 0, ocg, np, k, 1, w + gi * ocg * k, k, columns + gi * k * np, np, 0, \
                             outputs + gi * ocg * np, np);                                     \
        nk_parallel_for(g->n, GRAIN(g), to_batch_major_##SUFFIX, &job);                        \
        nk_free(outputs, ocap);                                                                \
    }                                                                                          \
    void nk_conv2d_weight_grad_from_columns_##SUFFIX(const nk_conv_geometry *g, const T *columns, \
                                                     const T *y, T *dw) {                      \
        const int64_t cg = g->c / g->groups, ocg = g->oc / g->groups;                          \
        const int64_t k = cg * g->kh * g->kw, np = g->n * g->oh * g->ow;                       \
        size_t ocap;                                                                           \
        T *outputs = scratch_##SUFFIX(g->oc * np, &ocap);                                      \
        conv_job job = { g, NULL, (void *)columns, outputs, (void *)y };                       \
        nk_parallel_for(g->n, GRAIN(g), to_channel_major_##SUFFIX, &job);                      \
        for (int64_t gi = 0; gi < g->groups; gi++)                                             \
            nk_gemm_##SUFFIX(0, 1, ocg, k, np, 1, outputs + gi * ocg * np, np, columns + gi * k * np, np, 0, \
                             dw + gi * ocg * k, k);                                            \
        nk_free(outputs, ocap);                                                                \
    }                                                                                          \
    void nk_conv2d_##SUFFIX(const nk_conv_geometry *g, const T *x, const T *w, T *y) {         \
        if (TRY_DNNL_##SUFFIX(NK_CONV_FORWARD, g, x, w, y)) return;                            \
        size_t ccap;                                                                           \
        T *columns = scratch_##SUFFIX(nk_conv2d_column_count(g), &ccap);                       \
        nk_conv2d_columns_##SUFFIX(g, x, columns);                                             \
        nk_conv2d_from_columns_##SUFFIX(g, columns, w, y);                                     \
        nk_free(columns, ccap);                                                                \
    }                                                                                          \
    void nk_conv2d_adjoint_##SUFFIX(const nk_conv_geometry *g, const T *y, const T *w, T *x) { \
        if (TRY_DNNL_##SUFFIX(NK_CONV_BACKWARD_DATA, g, y, w, x)) return;                      \
        const int64_t cg = g->c / g->groups, ocg = g->oc / g->groups;                          \
        const int64_t k = cg * g->kh * g->kw, np = g->n * g->oh * g->ow;                       \
        size_t ccap, ocap;                                                                     \
        T *columns = scratch_##SUFFIX(g->groups * k * np, &ccap);                              \
        T *outputs = scratch_##SUFFIX(g->oc * np, &ocap);                                      \
        conv_job job = { g, x, columns, outputs, (void *)y };                                  \
        nk_parallel_for(g->n, GRAIN(g), to_channel_major_##SUFFIX, &job);                      \
        for (int64_t gi = 0; gi < g->groups; gi++)                                             \
            nk_gemm_##SUFFIX(1, 0, k, np, ocg, 1, w + gi * ocg * k, k, outputs + gi * ocg * np, np, 0, \
                             columns + gi * k * np, np);                                       \
        nk_parallel_for(g->n, GRAIN(g), scatter_columns_##SUFFIX, &job);                       \
        nk_free(columns, ccap);                                                                \
        nk_free(outputs, ocap);                                                                \
    }                                                                                          \
    /* One thread's share of the weight gradient: its images a few at a time, so each chunk's  \
       columns stay in the core's cache between im2col writing and GEMM reading them. */       \
    static void weight_grad_share_##SUFFIX(void *context, int64_t begin, int64_t end) {        \
        const weight_grad_job *j = context;                                                    \
        const nk_conv_geometry *g = j->g;                                                      \
        const int64_t cg = g->c / g->groups, ocg = g->oc / g->groups, k = cg * g->kh * g->kw;  \
        const int64_t p = g->oh * g->ow, size = g->oc * k;                                     \
        for (int64_t share = begin; share < end; share++) {                                    \
            const int64_t first = g->n * share / j->shares, last = g->n * (share + 1) / j->shares; \
            T *dw = share == 0 ? (T *)j->dw : (T *)j->partials + (share - 1) * size;           \
            size_t ccap, ocap;                                                                 \
            T *columns = scratch_##SUFFIX(g->groups * k * j->chunk * p, &ccap);                \
            T *outputs = scratch_##SUFFIX(g->oc * j->chunk * p, &ocap);                        \
            for (int64_t start = first; start < last; start += j->chunk) {                     \
                nk_conv_geometry sub = *g;                                                     \
                sub.n = last - start < j->chunk ? last - start : j->chunk;                     \
                conv_job job = { &sub, (const T *)j->x + start * g->c * g->h * g->w, columns, outputs, \
                                 (T *)j->y + start * g->oc * p };                              \
                gather_columns_##SUFFIX(&job, 0, sub.n);                                       \
                to_channel_major_##SUFFIX(&job, 0, sub.n);                                     \
                const int64_t np = sub.n * p;                                                  \
                for (int64_t gi = 0; gi < g->groups; gi++)                                     \
                    nk_gemm_##SUFFIX(0, 1, ocg, k, np, 1, outputs + gi * ocg * np, np, columns + gi * k * np, np, \
                                     start == first ? 0 : 1, dw + gi * ocg * k, k);            \
            }                                                                                  \
            if (last == first) memset(dw, 0, sizeof(T) * size);                                \
            nk_free(columns, ccap);                                                            \
            nk_free(outputs, ocap);                                                            \
        }                                                                                      \
    }                                                                                          \
    void nk_conv2d_weight_grad_##SUFFIX(const nk_conv_geometry *g, const T *x, const T *y, T *dw) { \
        if (TRY_DNNL_##SUFFIX(NK_CONV_BACKWARD_WEIGHTS, g, x, y, dw)) return;                  \
        weight_grad_columns_##SUFFIX(g, x, y, dw);                                             \
    }                                                                                          \
    static void weight_grad_columns_##SUFFIX(const nk_conv_geometry *g, const T *x, const T *y, T *dw) { \
        const int64_t k = g->c / g->groups * g->kh * g->kw, p = g->oh * g->ow, size = g->oc * k; \
        int64_t shares = nk_num_threads() < g->n ? nk_num_threads() : g->n;                    \
        if (shares < 1) shares = 1;                                                            \
        int64_t chunk = WEIGHT_GRAD_CHUNK_ELEMENTS / (g->groups * k * p);                      \
        if (chunk < 1) chunk = 1;                                                              \
        size_t pcap = 0;                                                                       \
        T *partials = shares > 1 ? scratch_##SUFFIX((shares - 1) * size, &pcap) : NULL;        \
        weight_grad_job job = { g, x, y, dw, partials, shares, chunk };                        \
        nk_parallel_for(shares, 1, weight_grad_share_##SUFFIX, &job);                          \
        for (int64_t share = 1; share < shares; share++)                                       \
            for (int64_t i = 0; i < size; i++) dw[i] += partials[(share - 1) * size + i];      \
        nk_free(partials, pcap);                                                               \
    }

DEFINE_CONV(f32, float)
DEFINE_CONV(f64, double)

// Which float32 passes go to oneDNN (the others are im2col + GEMM on plain layouts).
static int runs_on_dnnl(int pass, const nk_conv_geometry *g) {
    if (pass == NK_CONV_BACKWARD_DATA) return g->c / g->groups >= 4 || DEPTHWISE(g);
    if (pass == NK_CONV_BACKWARD_WEIGHTS) return g->c / g->groups >= 8 || DEPTHWISE(g) || dnnl_wins_weight_grad(g);
    return 1;
}

int nk_conv2d_blocks_f32(int pass, const nk_conv_geometry *g, int *x_block, int *y_block) {
    if (!runs_on_dnnl(pass, g)) return 1;
    return nk_dnnl_conv2d_blocks(pass, g, x_block, y_block);
}

// Below 8 input channels per group, whether oneDNN's weight gradient beats the column products
// depends on the processor: each geometry is timed once both ways on scratch buffers (the
// second call of each, after oneDNN built its kernel) before its first real use, and every
// later call in the process takes the faster, so a run never mixes the two. Past CHOICES
// geometries the oldest choice makes room.
typedef struct { nk_conv_geometry g; int dnnl; } weight_grad_choice;
enum { CHOICES = 64 };
static weight_grad_choice choices[CHOICES];
static int choice_count = 0, next_choice = 0;
static pthread_mutex_t choice_lock = PTHREAD_MUTEX_INITIALIZER;

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int dnnl_wins_weight_grad(const nk_conv_geometry *g) {
    pthread_mutex_lock(&choice_lock);
    for (int i = 0; i < choice_count; i++)
        if (memcmp(&choices[i].g, g, sizeof *g) == 0) {
            int dnnl = choices[i].dnnl;
            pthread_mutex_unlock(&choice_lock);
            return dnnl;
        }
    pthread_mutex_unlock(&choice_lock);
    const int64_t xs = g->n * g->c * g->h * g->w, ys = g->n * g->oc * g->oh * g->ow;
    const int64_t ws = g->oc * (g->c / g->groups) * g->kh * g->kw;
    size_t cx, cy, cw;
    float *x = nk_alloc(sizeof(float) * xs, &cx), *y = nk_alloc(sizeof(float) * ys, &cy), *w = nk_alloc(sizeof(float) * ws, &cw);
    for (int64_t i = 0; i < xs; i++) x[i] = (float)(i % 7) - 3;
    for (int64_t i = 0; i < ys; i++) y[i] = (float)(i % 5) - 2;
    double dnnl_time = 1e30, columns_time;
    if (nk_dnnl_conv2d_f32(NK_CONV_BACKWARD_WEIGHTS, g, x, y, w) == 0) {
        double start = seconds();
        nk_dnnl_conv2d_f32(NK_CONV_BACKWARD_WEIGHTS, g, x, y, w);
        dnnl_time = seconds() - start;
    }
    weight_grad_columns_f32(g, x, y, w);
    double start = seconds();
    weight_grad_columns_f32(g, x, y, w);
    columns_time = seconds() - start;
    nk_free(x, cx);
    nk_free(y, cy);
    nk_free(w, cw);
    int dnnl = dnnl_time < columns_time;
    pthread_mutex_lock(&choice_lock);
    choices[next_choice] = (weight_grad_choice){ *g, dnnl };
    next_choice = (next_choice + 1) % CHOICES;
    if (choice_count < CHOICES) choice_count++;
    pthread_mutex_unlock(&choice_lock);
    return dnnl;
}

typedef struct {
    const nk_conv_geometry *g;
    const nk_conv_fusion *f;
    const float *bias, *residual;
    float *y;
} fusion_job;

// The fused steps after a plain convolution, over (sample, channel) planes.
NK_WIDE_RANGE(finish_fused) {
    const fusion_job *j = context;
    const int64_t p = j->g->oh * j->g->ow;
    for (int64_t plane = begin; plane < end; plane++) {
        float *y = j->y + plane * p;
        const float b = j->bias ? j->bias[plane % j->g->oc] : 0.0f;
        const float *r = j->residual ? j->residual + plane * p : NULL;
        for (int64_t i = 0; i < p; i++) {
            float v = y[i] + b + (r ? r[i] : 0.0f);
            if (j->f->clamp) v = v < j->f->lo ? j->f->lo : (v > j->f->hi ? j->f->hi : v);
            y[i] = v;
        }
    }
}

void nk_conv2d_fused_f32(const nk_conv_geometry *g, const nk_conv_fusion *f, const float *x, const float *w,
                         const float *bias, const float *residual, float *y) {
    if (nk_dnnl_conv2d_fused_f32(g, f, x, w, bias, residual, y) == 0) return;
    nk_conv2d_f32(g, x, w, y);
    fusion_job job = {g, f, bias, residual, y};
    nk_parallel_for(g->n * g->oc, 16, finish_fused, &job);
}
