// Element-wise unary math on contiguous data, split over threads for large inputs.
#include "NeuronKernels.h"
#include "dispatch.h"
#include "fastmath.h"
#include <math.h>

typedef struct { int op; const void *x; void *y; double p0, p1; } unary_job;

#define SQRT1_2 0.70710678118654752440
#define SQRT_2_OVER_PI 0.79788456080286535588

NK_WIDE_RANGE(unary_f32_range) {
    const unary_job *job = context;
    const float *restrict x = (const float *)job->x + begin;
    float *restrict y = (float *)job->y + begin;
    const int64_t n = end - begin;
    const float p0 = (float)job->p0, p1 = (float)job->p1;
    switch (job->op) {
    case NK_NEG: for (int64_t i = 0; i < n; i++) y[i] = -x[i]; break;
    case NK_EXP: for (int64_t i = 0; i < n; i++) y[i] = nk_expf(x[i]); break;
    case NK_LOG: for (int64_t i = 0; i < n; i++) y[i] = nk_logf(x[i]); break;
    case NK_SQRT: for (int64_t i = 0; i < n; i++) y[i] = nk_sqrt(x[i]); break;
    case NK_RSQRT: for (int64_t i = 0; i < n; i++) y[i] = 1.0f / nk_sqrt(x[i]); break;
    case NK_ABS: for (int64_t i = 0; i < n; i++) y[i] = fabsf(x[i]); break;
    case NK_SIGN:
        for (int64_t i = 0; i < n; i++) y[i] = (float)(x[i] > 0) - (float)(x[i] < 0);
        break;
    case NK_SIGMOID: for (int64_t i = 0; i < n; i++) y[i] = nk_sigmoidf(x[i]); break;
    case NK_TANH: for (int64_t i = 0; i < n; i++) y[i] = nk_tanhf(x[i]); break;
    case NK_RELU: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : (x[i] != x[i] ? x[i] : 0.0f); break;
    case NK_LEAKY_RELU: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : x[i] * p0; break;
    case NK_ELU: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : p0 * expm1f(x[i]); break;
    case NK_GELU:
        for (int64_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + nk_erff_gelu(x[i] * (float)SQRT1_2));
        break;
    case NK_GELU_TANH:
        for (int64_t i = 0; i < n; i++) {
            float v = x[i];
            y[i] = 0.5f * v * (1.0f + nk_tanhf((float)SQRT_2_OVER_PI * (v + 0.044715f * v * v * v)));
        }
        break;
    case NK_SILU: for (int64_t i = 0; i < n; i++) y[i] = x[i] * nk_sigmoidf(x[i]); break;
    case NK_SOFTPLUS: // p0 = beta, p1 = threshold, as PyTorch's softplus
        for (int64_t i = 0; i < n; i++) {
            float bx = x[i] * p0;
            y[i] = bx > p1 ? x[i] : log1pf(nk_exp(bx)) / p0;
        }
        break;
    case NK_ERF: for (int64_t i = 0; i < n; i++) y[i] = erff(x[i]); break;
    case NK_CLAMP:
        for (int64_t i = 0; i < n; i++) {
            float v = x[i] < p0 ? p0 : x[i];
            y[i] = v > p1 ? p1 : v;
        }
        break;
    case NK_STEP: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? 1.0f : 0.0f; break;
    case NK_SQUARE: for (int64_t i = 0; i < n; i++) y[i] = x[i] * x[i]; break;
    case NK_RECIPROCAL: for (int64_t i = 0; i < n; i++) y[i] = 1.0f / x[i]; break;
    case NK_LOG1P: for (int64_t i = 0; i < n; i++) y[i] = log1pf(x[i]); break;
    case NK_EXPM1: for (int64_t i = 0; i < n; i++) y[i] = expm1f(x[i]); break;
    case NK_SIN: for (int64_t i = 0; i < n; i++) y[i] = nk_sin(x[i]); break;
    case NK_COS: for (int64_t i = 0; i < n; i++) y[i] = nk_cos(x[i]); break;
    }
}

NK_WIDE_RANGE(unary_f64_range) {
    const unary_job *job = context;
    const double *restrict x = (const double *)job->x + begin;
    double *restrict y = (double *)job->y + begin;
    const int64_t n = end - begin;
    const double p0 = job->p0, p1 = job->p1;
    for (int64_t i = 0; i < n; i++) {
        double v = x[i], r = 0;
        switch (job->op) {
        case NK_NEG: r = -v; break;
        case NK_EXP: r = nk_exp(v); break;
        case NK_LOG: r = nk_log(v); break;
        case NK_SQRT: r = nk_sqrt(v); break;
        case NK_RSQRT: r = 1.0 / nk_sqrt(v); break;
        case NK_ABS: r = fabs(v); break;
        case NK_SIGN: r = (double)(v > 0) - (double)(v < 0); break;
        case NK_SIGMOID: r = 1.0 / (1.0 + nk_exp(-v)); break;
        case NK_TANH: r = nk_tanh(v); break;
        case NK_RELU: r = v > 0 ? v : (v != v ? v : 0.0); break;
        case NK_LEAKY_RELU: r = v > 0 ? v : v * p0; break;
        case NK_ELU: r = v > 0 ? v : p0 * expm1(v); break;
        case NK_GELU: r = 0.5 * v * (1.0 + erf(v * SQRT1_2)); break;
        case NK_GELU_TANH: r = 0.5 * v * (1.0 + nk_tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))); break;
        case NK_SILU: r = v / (1.0 + nk_exp(-v)); break;
        case NK_SOFTPLUS: r = v * p0 > p1 ? v : log1p(nk_exp(v * p0)) / p0; break;
        case NK_ERF: r = erf(v); break;
        case NK_CLAMP: r = v < p0 ? p0 : v; r = r > p1 ? p1 : r; break;
        case NK_STEP: r = v > 0 ? 1.0 : 0.0; break;
        case NK_SQUARE: r = v * v; break;
        case NK_RECIPROCAL: r = 1.0 / v; break;
        case NK_LOG1P: r = log1p(v); break;
        case NK_EXPM1: r = expm1(v); break;
        case NK_SIN: r = nk_sin(v); break;
        case NK_COS: r = nk_cos(v); break;
        }
        y[i] = r;
    }
}

// Transcendental ops pay for a second thread much earlier than simple arithmetic.
static int64_t unary_grain(int op) {
    switch (op) {
    case NK_NEG: case NK_ABS: case NK_RELU: case NK_STEP: case NK_SQUARE: case NK_CLAMP:
    case NK_SIGN: case NK_LEAKY_RELU: return 8192;
    default: return 4096;
    }
}

void nk_unary_f32(int op, const float *x, float *y, int64_t n, double p0, double p1) {
    unary_job job = { op, x, y, p0, p1 };
    nk_parallel_for(n, unary_grain(op), unary_f32_range, &job);
}

void nk_unary_f64(int op, const double *x, double *y, int64_t n, double p0, double p1) {
    unary_job job = { op, x, y, p0, p1 };
    nk_parallel_for(n, unary_grain(op) / 4, unary_f64_range, &job);
}

// ---------------------------------------------------------------- normal samples
// Box–Muller on uniforms drawn beforehand (u1 in (0, 1], u2 in [0, 1) per element), with the
// same libm calls and the same order of operations as RandomGenerator.nextNormal, so that a
// seed gives the same numbers as drawing them one by one; no contraction into FMAs for that.
typedef struct { const double *uniforms; void *out; double mean, std; int is_double; } normal_job;

static void normal_range(void *context, int64_t begin, int64_t end) {
#pragma clang fp contract(off)
    const normal_job *j = context;
    for (int64_t i = begin; i < end; i++) {
        double u1 = j->uniforms[2 * i], u2 = j->uniforms[2 * i + 1];
        double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
        double v = j->mean + j->std * z;
        if (j->is_double) ((double *)j->out)[i] = v;
        else ((float *)j->out)[i] = (float)v;
    }
}

void nk_normal_from_uniforms(const double *uniforms, void *out, int is_double, int64_t n, double mean, double std) {
    normal_job job = { uniforms, out, mean, std, is_double };
    nk_parallel_for(n, 1024, normal_range, &job);
}
