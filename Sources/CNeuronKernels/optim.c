// Fused optimiser updates: one pass over each parameter instead of a dozen tensor ops.
#include "NeuronKernels.h"
#include "dispatch.h"
#include <math.h>

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

NK_WIDE static void adam_range(void *context, int64_t begin, int64_t end) {
    const adam_job *j = context;
    if (j->max_sq) adam_loop(j, begin, end, j->max_sq);
    else adam_loop(j, begin, end, NULL);
}

void nk_adam_f32(float *param, const float *grad, float *exp_avg, float *exp_avg_sq, float *max_sq,
                 int64_t n, double lr, double beta1, double beta2, double eps, double decay,
                 int decoupled, double step_size, double correction2_sqrt) {
    adam_job job = { param, exp_avg, exp_avg_sq, max_sq, grad, lr, beta1, beta2, eps, decay,
                     step_size, correction2_sqrt, decoupled };
    nk_parallel_for(n, 16384, adam_range, &job);
}

#define SGD_BODY(T)                                                                             \
    for (int64_t i = 0; i < n; i++) {                                                          \
        T g = grad[i];                                                                          \
        if (decay != 0) g += param[i] * (T)decay;                                               \
        if (momentum != 0) {                                                                    \
            T b = first ? g : buf[i] * (T)momentum + g * (T)(1 - dampening);                    \
            buf[i] = b;                                                                         \
            g = nesterov ? g + b * (T)momentum : b;                                             \
        }                                                                                       \
        param[i] -= g * (T)lr;                                                                  \
    }

void nk_sgd_f32(float *param, const float *grad, float *buf, int64_t n, double lr, double momentum,
                double dampening, double decay, int nesterov, int first) {
    SGD_BODY(float)
}

void nk_sgd_f64(double *param, const double *grad, double *buf, int64_t n, double lr, double momentum,
                double dampening, double decay, int nesterov, int first) {
    SGD_BODY(double)
}
