// Batch norm (training, forward + backward) and 2×2 max pooling (forward + backward) on NCHW
// float32: oneDNN 2.6's primitives (plain nchw memory, as Neuron's tensors are; primitives
// created once) against Neuron's own kernels (per-channel statistics/affine passes; max pool with
// indices, the gather that records it and the scatter-add of its backward). Milliseconds per
// forward + backward, median of 21 after warm-up.
//   clang -O3 -march=x86-64-v3 -ISources/CNeuronKernels/include -o /tmp/normpool bench/dnnl_norm_pool.c \
//       Sources/CNeuronKernels/*.c -ldnnl -lm -l:libgomp.so.1 && /tmp/normpool
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "NeuronKernels.h"
#define CHECK(x) do { dnnl_status_t s = (x); if (s != dnnl_success) { printf("error %d at line %d\n", s, __LINE__); exit(1);} } while (0)
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int compare(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
static dnnl_engine_t engine;
static dnnl_stream_t stream;
static dnnl_memory_t memory(const dnnl_memory_desc_t *md) {
    dnnl_memory_t m; CHECK(dnnl_memory_create(&m, md, engine, DNNL_MEMORY_ALLOCATE));
    void *p; dnnl_memory_get_data_handle(m, &p);
    float *f = p; size_t count = dnnl_memory_desc_get_size(md) / 4;
    for (size_t i = 0; i < count; i++) f[i] = (float)((i * 7919) % 1000) / 500.f - 1.f;
    return m;
}
static float *data(dnnl_memory_t m) { void *p; dnnl_memory_get_data_handle(m, &p); return p; }
typedef void (*work)(void *);
static double median_ms(work fn, void *context) {
    double times[21];
    for (int i = 0; i < 3; i++) fn(context);
    for (int i = 0; i < 21; i++) { double t = now(); fn(context); times[i] = (now() - t) * 1e3; }
    qsort(times, 21, sizeof(double), compare);
    return times[10];
}

typedef struct { int n, c, h, w; dnnl_primitive_t forward, backward; dnnl_memory_t x, y, mean, var, ss, dy, dx, dss, ws; } case_t;

static void dnnl_bn(void *p) {
    case_t *k = p;
    dnnl_exec_arg_t f[5] = {{DNNL_ARG_SRC, k->x}, {DNNL_ARG_DST, k->y}, {DNNL_ARG_MEAN, k->mean}, {DNNL_ARG_VARIANCE, k->var},
                            {DNNL_ARG_SCALE_SHIFT, k->ss}};
    CHECK(dnnl_primitive_execute(k->forward, stream, 5, f));
    dnnl_exec_arg_t b[7] = {{DNNL_ARG_SRC, k->x}, {DNNL_ARG_MEAN, k->mean}, {DNNL_ARG_VARIANCE, k->var}, {DNNL_ARG_DIFF_DST, k->dy},
                            {DNNL_ARG_SCALE_SHIFT, k->ss}, {DNNL_ARG_DIFF_SRC, k->dx}, {DNNL_ARG_DIFF_SCALE_SHIFT, k->dss}};
    CHECK(dnnl_primitive_execute(k->backward, stream, 7, b));
    dnnl_stream_wait(stream);
}
static void neuron_bn(void *p) {
    case_t *k = p;
    int64_t inner = k->h * k->w;
    double mean[64], var[64], a[64], b[64], d[64], sum[64], dot[64];
    nk_channel_stats_f32(data(k->x), k->n, k->c, inner, mean, var);
    for (int i = 0; i < k->c; i++) { a[i] = 1 / __builtin_sqrt(var[i] + 1e-5); d[i] = -mean[i] * a[i]; }
    nk_channel_affine_f32(data(k->x), NULL, data(k->y), a, NULL, d, k->n, k->c, inner);
    nk_channel_grad_sums_f32(data(k->dy), data(k->x), mean, k->n, k->c, inner, sum, dot);
    double m = (double)(k->n * inner);
    for (int i = 0; i < k->c; i++) { b[i] = -a[i] * a[i] * a[i] * dot[i] / m; d[i] = -a[i] * sum[i] / m - b[i] * mean[i]; }
    nk_channel_affine_f32(data(k->dy), data(k->x), data(k->dx), a, b, d, k->n, k->c, inner);
}
static void dnnl_pool(void *p) {
    case_t *k = p;
    dnnl_exec_arg_t f[3] = {{DNNL_ARG_SRC, k->x}, {DNNL_ARG_DST, k->y}, {DNNL_ARG_WORKSPACE, k->ws}};
    CHECK(dnnl_primitive_execute(k->forward, stream, 3, f));
    dnnl_exec_arg_t b[3] = {{DNNL_ARG_DIFF_DST, k->dy}, {DNNL_ARG_WORKSPACE, k->ws}, {DNNL_ARG_DIFF_SRC, k->dx}};
    CHECK(dnnl_primitive_execute(k->backward, stream, 3, b));
    dnnl_stream_wait(stream);
}
static int64_t *indices;
static float *picked;
static void neuron_pool(void *p) {
    case_t *k = p;
    int64_t planes = k->n * k->c, oh = k->h / 2, ow = k->w / 2;
    nk_max_pool_f32(data(k->x), data(k->y), indices, planes, k->h, k->w, oh, ow, 2, 2, 2, 2, 0, 0, 1, 1);
    nk_gather(4, data(k->x), indices, picked, planes, k->h * k->w, oh * ow, 1);
    memset(data(k->dx), 0, sizeof(float) * planes * k->h * k->w);
    nk_scatter_add_f32(data(k->dx), indices, data(k->dy), planes, k->h * k->w, oh * ow, 1);
}

static void batch_norm(int n, int c, int h, int w) {
    case_t k = {n, c, h, w};
    dnnl_dims_t dims = {n, c, h, w}, ssdims = {2, c};
    dnnl_memory_desc_t md, ssmd, statmd;
    dnnl_dims_t cdim = {c};
    CHECK(dnnl_memory_desc_init_by_tag(&md, 4, dims, dnnl_f32, dnnl_nchw));
    CHECK(dnnl_memory_desc_init_by_tag(&ssmd, 2, ssdims, dnnl_f32, dnnl_nc));
    CHECK(dnnl_memory_desc_init_by_tag(&statmd, 1, cdim, dnnl_f32, dnnl_a));
    dnnl_batch_normalization_desc_t fd, bd;
    CHECK(dnnl_batch_normalization_forward_desc_init(&fd, dnnl_forward_training, &md, 1e-5f, dnnl_use_scaleshift));
    dnnl_primitive_desc_t fpd, bpd;
    CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL));
    CHECK(dnnl_batch_normalization_backward_desc_init(&bd, dnnl_backward, &md, &md, 1e-5f, dnnl_use_scaleshift));
    CHECK(dnnl_primitive_desc_create(&bpd, &bd, NULL, engine, fpd));
    const char *impl; dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, &impl);
    CHECK(dnnl_primitive_create(&k.forward, fpd));
    CHECK(dnnl_primitive_create(&k.backward, bpd));
    k.x = memory(&md); k.y = memory(&md); k.dy = memory(&md); k.dx = memory(&md);
    k.ss = memory(&ssmd); k.dss = memory(&ssmd); k.mean = memory(&statmd); k.var = memory(&statmd);
    printf("batch norm [%d, %d, %d, %d] forward+backward: oneDNN (%s) %.3f ms, Neuron %.3f ms\n", n, c, h, w, impl,
           median_ms(dnnl_bn, &k), median_ms(neuron_bn, &k));
}

static void max_pool(int n, int c, int h, int w) {
    case_t k = {n, c, h, w};
    dnnl_dims_t dims = {n, c, h, w}, odims = {n, c, h / 2, w / 2}, kernel = {2, 2}, strides = {2, 2}, dil = {0, 0}, pad = {0, 0};
    dnnl_memory_desc_t md, omd;
    CHECK(dnnl_memory_desc_init_by_tag(&md, 4, dims, dnnl_f32, dnnl_nchw));
    CHECK(dnnl_memory_desc_init_by_tag(&omd, 4, odims, dnnl_f32, dnnl_nchw));
    dnnl_pooling_v2_desc_t fd, bd;
    CHECK(dnnl_pooling_v2_forward_desc_init(&fd, dnnl_forward_training, dnnl_pooling_max, &md, &omd, strides, kernel, dil, pad, pad));
    dnnl_primitive_desc_t fpd, bpd;
    CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL));
    CHECK(dnnl_pooling_v2_backward_desc_init(&bd, dnnl_pooling_max, &md, &omd, strides, kernel, dil, pad, pad));
    CHECK(dnnl_primitive_desc_create(&bpd, &bd, NULL, engine, fpd));
    const char *impl; dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, &impl);
    CHECK(dnnl_primitive_create(&k.forward, fpd));
    CHECK(dnnl_primitive_create(&k.backward, bpd));
    k.x = memory(&md); k.dx = memory(&md); k.y = memory(&omd); k.dy = memory(&omd);
    k.ws = memory(dnnl_primitive_desc_query_md(fpd, dnnl_query_workspace_md, 0));
    indices = malloc(sizeof(int64_t) * n * c * (h / 2) * (w / 2));
    picked = malloc(sizeof(float) * n * c * (h / 2) * (w / 2));
    printf("max pool 2x2 [%d, %d, %d, %d] forward+backward: oneDNN (%s) %.3f ms, Neuron %.3f ms\n", n, c, h, w, impl,
           median_ms(dnnl_pool, &k), median_ms(neuron_pool, &k));
    free(indices); free(picked);
}

int main(void) {
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    batch_norm(64, 16, 28, 28);
    batch_norm(64, 32, 14, 14);
    batch_norm(64, 64, 7, 7);
    max_pool(64, 6, 28, 28);
    max_pool(64, 16, 10, 10);
    return 0;
}
