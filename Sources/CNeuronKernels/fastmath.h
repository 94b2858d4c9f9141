// Branch-free float32 exp/log/tanh (Cephes polynomials) that the compiler vectorises;
// libm's scalar calls are several times slower per element. Max relative error ~2e-7.
#ifndef NEURON_FASTMATH_H
#define NEURON_FASTMATH_H
#include "dispatch.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

NK_INLINE float nk_expf(float x) {
    // Ternaries (not fminf/fmaxf) so that NaN stays NaN.
    float c = x > 88.3762626647949f ? 88.3762626647949f : x;
    c = c < -87.3365447504f ? -87.3365447504f : c;
    float fx = floorf(c * 1.44269504088896341f + 0.5f);
    float z = c - fx * 0.693359375f - fx * -2.12194440e-4f;
    float p = 1.9875691500E-4f;
    p = p * z + 1.3981999507E-3f;
    p = p * z + 8.3334519073E-3f;
    p = p * z + 4.1665795894E-2f;
    p = p * z + 1.6666665459E-1f;
    p = p * z + 5.0000001201E-1f;
    float y = p * z * z + z + 1.0f;
    int32_t bits = ((int32_t)fx + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    float r = y * scale;
    r = x < -87.3365447504f ? 0.0f : r;
    return x > 88.7228391117f ? INFINITY : r;
}

NK_INLINE float nk_logf(float x) {
    int32_t bits;
    memcpy(&bits, &x, sizeof bits);
    int32_t exponent = ((bits >> 23) & 0xff) - 126;
    bits = (bits & 0x807fffff) | 0x3f000000;
    float m;
    memcpy(&m, &bits, sizeof m);
    int small = m < 0.707106781186547524f;
    float t = small ? m + m - 1.0f : m - 1.0f;
    float e = (float)(small ? exponent - 1 : exponent);
    float z = t * t;
    float p = 7.0376836292E-2f;
    p = p * t - 1.1514610310E-1f;
    p = p * t + 1.1676998740E-1f;
    p = p * t - 1.2420140846E-1f;
    p = p * t + 1.4249322787E-1f;
    p = p * t - 1.6668057665E-1f;
    p = p * t + 2.0000714765E-1f;
    p = p * t - 2.4999993993E-1f;
    p = p * t + 3.3333331174E-1f;
    float y = p * t * z + e * -2.12194440e-4f - 0.5f * z;
    float r = t + y + e * 0.693359375f;
    // Selects, not a libm call, so the loop still vectorises; subnormals lose accuracy.
    float special = x == 0.0f ? -INFINITY : (x == INFINITY ? INFINITY : NAN);
    return (x > 0.0f && x < INFINITY) ? r : special;
}

// erf by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), branch-free so that GELU's
// loop vectorises; libm's erff is a scalar call. Used where an absolute error this small is
// immaterial (GELU multiplies it by x/2); the erf op itself keeps libm's.
NK_INLINE float nk_erff_gelu(float x) {
    float a = fabsf(x);
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    float r = 1.0f - p * t * nk_expf(-a * a);
    return x < 0 ? -r : r;
}

NK_INLINE float nk_tanhf(float x) {
    float a = fabsf(x);
    float z = x * x;
    float p = -5.70498872745E-3f;
    p = p * z + 2.06390887954E-2f;
    p = p * z - 5.37397155531E-2f;
    p = p * z + 1.33314422036E-1f;
    p = p * z - 3.33332819422E-1f;
    float near = p * z * x + x;
    float e = nk_expf(2.0f * (a > 44.0f ? 44.0f : a));
    float far = 1.0f - 2.0f / (e + 1.0f);
    far = x < 0 ? -far : far;
    return a < 0.625f ? near : (x != x ? x : far);
}

NK_INLINE float nk_sigmoidf(float x) { return 1.0f / (1.0f + nk_expf(-x)); }

#endif
