// Fused optimiser updates: one pass over each parameter instead of a dozen tensor ops.
#include "NeuronKernels.h"
#include "dispatch.h"
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef struct {
    float *param, *exp_avg, *exp_avg_sq, *max_sq;
    const float *grad;
    double lr, beta1, beta2, eps, decay, step_size, correction2_sqrt;
    int decoupled;
} adam_job;

// One loop per AMSGrad setting (vmax NULL or not), so that neither tests it per element.
NK_INLINE void adam_loop(const adam_job *j, int64_t begin, int64_t end, float *restrict vmax) {
    const float b1 = (float)j->beta1, b2 = (float)j->beta2, eps = (float)j->eps;
    const float step_size = (float)j->step_size, inv_c2 = (float)(1.0 / j->correction2_sqrt);
    const float l2 = j->decoupled ? 0.0f : (float)j->decay;
    const float shrink = j->decoupled ? (float)(1.0 - j->lr * j->decay) : 1.0f;
    float *restrict p = j->param, *restrict m = j->exp_avg, *restrict v = j->exp_avg_sq;
    const float *restrict g = j->grad;
    for (int64_t i = begin; i < end; i++) {
        float gi = g[i] + l2 * p[i];
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float second = vi;
        if (vmax) {
            second = vmax[i] > vi ? vmax[i] : vi;
            vmax[i] = second;
        }
        p[i] = p[i] * shrink - step_size * mi / (nk_sqrt(second) * inv_c2 + eps);
    }
}

typedef struct {
    const nk_adam_tensor *tensors;
    const int64_t *starts;  // starts[i]: the first flat index of tensor i; starts[count] = total
    int64_t count;
    double lr, beta1, beta2, eps, decay;
    int decoupled;
} adam_many_job;

// A share of the concatenation of every tensor: the tensors it overlaps, each in one loop.
NK_WIDE_RANGE(adam_many_range) {
    const adam_many_job *j = context;
    int64_t lo = 0, hi = j->count - 1;
    while (lo < hi) {  // the last tensor starting at or before `begin`
        int64_t mid = (lo + hi + 1) / 2;
        if (j->starts[mid] <= begin) lo = mid; else hi = mid - 1;
    }
    for (int64_t t = lo; t < j->count && j->starts[t] < end; t++) {
        const nk_adam_tensor *x = &j->tensors[t];
        int64_t from = begin > j->starts[t] ? begin - j->starts[t] : 0;
        int64_t to = (end < j->starts[t + 1] ? end : j->starts[t + 1]) - j->starts[t];
        adam_job one = { x->param, x->exp_avg, x->exp_avg_sq, x->max_sq, x->grad, j->lr, j->beta1, j->beta2,
                         j->eps, j->decay, x->step_size, x->correction2_sqrt, j->decoupled };
        if (x->max_sq) adam_loop(&one, from, to, x->max_sq);
        else adam_loop(&one, from, to, NULL);
    }
}

// Each thread owns a contiguous run of chunks, the same one every step, so that the moments of a
// model small enough stay in that core's L2 between steps; a thread done with its own run takes
// chunks from the others' (the cores do not stream equally fast: whose cache last held which
// gradient differs), so none waits long for another.
enum { ADAM_CHUNK = 8192, ADAM_OWNERS = 64 };
typedef struct {
    const adam_many_job *job;
    int64_t total, owners;
    _Atomic int64_t next[ADAM_OWNERS];  // the next chunk of each owner's run
    int64_t stop[ADAM_OWNERS];          // the end of each owner's run
} adam_chunks;

static void adam_chunk_worker(void *context, int64_t begin, int64_t end) {
    (void)end;
    adam_chunks *c = context;
    for (int64_t k = 0; k < c->owners; k++) {
        int64_t owner = (begin + k) % c->owners;
        for (;;) {
            int64_t chunk = atomic_fetch_add(&c->next[owner], 1);
            if (chunk >= c->stop[owner]) break;
            int64_t from = chunk * ADAM_CHUNK, to = from + ADAM_CHUNK < c->total ? from + ADAM_CHUNK : c->total;
            adam_many_range((void *)c->job, from, to);
        }
    }
}

void nk_adam_many_f32(const nk_adam_tensor *tensors, int64_t count, double lr, double beta1, double beta2,
                      double eps, double decay, int decoupled) {
    if (count <= 0) return;
    int64_t stack_starts[65];
    int64_t *starts = count < 65 ? stack_starts : malloc((size_t)(count + 1) * sizeof(int64_t));
    starts[0] = 0;
    for (int64_t i = 0; i < count; i++) starts[i + 1] = starts[i] + tensors[i].n;
    adam_many_job job = { tensors, starts, count, lr, beta1, beta2, eps, decay, decoupled };
    int64_t pieces = (starts[count] + ADAM_CHUNK - 1) / ADAM_CHUNK;
    int64_t threads = nk_num_threads();
    if (threads > pieces) threads = pieces;
    if (threads > ADAM_OWNERS) threads = ADAM_OWNERS;
    adam_chunks chunks = { .job = &job, .total = starts[count], .owners = threads };
    for (int64_t t = 0; t < threads; t++) {
        atomic_init(&chunks.next[t], pieces * t / threads);
        chunks.stop[t] = pieces * (t + 1) / threads;
    }
    nk_parallel_for(threads, 1, adam_chunk_worker, &chunks);
    if (starts != stack_starts) free(starts);
}

#define SGD_BODY(T)                                                                            \
    for (int64_t i = 0; i < n; i++) {                                                          \
        T g = grad[i];                                                                         \
        if (decay != 0) g += param[i] * (T)decay;                                              \
        if (momentum != 0) {                                                                   \
            T b = first ? g : buf[i] * (T)momentum + g * (T)(1 - dampening);                   \
            buf[i] = b;                                                                        \
            g = nesterov ? g + b * (T)momentum : b;                                            \
        }                                                                                      \
        param[i] -= g * (T)lr;                                                                 \
    }

void nk_sgd_f32(float *param, const float *grad, float *buf, int64_t n, double lr, double momentum,
                double dampening, double decay, int nesterov, int first) {
    SGD_BODY(float)
}

void nk_sgd_f64(double *param, const double *grad, double *buf, int64_t n, double lr, double momentum,
                double dampening, double decay, int nesterov, int first) {
    SGD_BODY(double)
}
