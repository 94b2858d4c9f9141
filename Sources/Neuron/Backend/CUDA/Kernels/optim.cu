// Fused optimiser steps, in place over contiguous parameters and state.
// adam_f32 is optim.c's nk_adam_many_f32 for one tensor (bias corrections folded into a step
// size and 1/√c₂); adam_f64 and sgd_* reproduce, element by element, the tensor ops that
// NeuronNN's Adam (for float64) and SGD run on the CPU, rounding after every operation as separate ops do (the
// _rn intrinsics keep the compiler from fusing a multiply and an add into one FMA).

extern "C" __global__ void adam_f32(float* __restrict__ param, const float* __restrict__ grad,
                                    float* __restrict__ expAvg, float* __restrict__ expAvgSq,
                                    float* __restrict__ maxExpAvgSq, i64 n, double lr, double beta1,
                                    double beta2, double eps, double weightDecay, int decoupled, i64 step) {
    const double stepSize = lr / (1.0 - pow(beta1, (double)step));
    const double correction2Sqrt = sqrt(1.0 - pow(beta2, (double)step));
    const float b1 = (float)beta1, b2 = (float)beta2, e = (float)eps;
    const float size = (float)stepSize, invC2 = (float)(1.0 / correction2Sqrt);
    const float l2 = decoupled ? 0.0f : (float)weightDecay;
    const float shrink = decoupled ? (float)(1.0 - lr * weightDecay) : 1.0f;
    NK_GRID_LOOP(i, n) {
        float p = param[i];
        float g = grad[i] + l2 * p;
        float m = b1 * expAvg[i] + (1.0f - b1) * g;
        float v = b2 * expAvgSq[i] + (1.0f - b2) * g * g;
        expAvg[i] = m;
        expAvgSq[i] = v;
        float second = v;
        if (maxExpAvgSq) {
            float previous = maxExpAvgSq[i];
            second = previous > v ? previous : v;
            maxExpAvgSq[i] = second;
        }
        param[i] = p * shrink - size * m / (sqrtf(second) * invC2 + e);
    }
}

// Adam.swift's float64 path: weight decay on the gradient (Adam) or the parameter (AdamW),
// then param = current − mean / (√second / √c₂ + eps) · (lr / c₁).
extern "C" __global__ void adam_f64(double* __restrict__ param, const double* __restrict__ grad,
                                    double* __restrict__ expAvg, double* __restrict__ expAvgSq,
                                    double* __restrict__ maxExpAvgSq, i64 n, double lr, double beta1,
                                    double beta2, double eps, double weightDecay, int decoupled, i64 step) {
    const double correction1 = 1.0 - pow(beta1, (double)step);
    const double correction2Sqrt = sqrt(1.0 - pow(beta2, (double)step));
    const double size = lr / correction1, shrink = 1.0 - lr * weightDecay;
    NK_GRID_LOOP(i, n) {
        double p = param[i], g = grad[i], current = p;
        if (weightDecay != 0) {
            if (decoupled) current = __dmul_rn(p, shrink);
            else g = __dadd_rn(g, __dmul_rn(p, weightDecay));
        }
        double m = __dadd_rn(__dmul_rn(expAvg[i], beta1), __dmul_rn(g, 1.0 - beta1));
        double v = __dadd_rn(__dmul_rn(expAvgSq[i], beta2), __dmul_rn(__dmul_rn(g, g), 1.0 - beta2));
        expAvg[i] = m;
        expAvgSq[i] = v;
        double second = v;
        if (maxExpAvgSq) { // Tensor.maximum: a NaN operand wins
            double previous = maxExpAvgSq[i];
            second = previous != previous ? previous : (v != v ? v : (previous > v ? previous : v));
            maxExpAvgSq[i] = second;
        }
        double denominator = __dadd_rn(sqrt(second) / correction2Sqrt, eps);
        param[i] = __dsub_rn(current, __dmul_rn(m / denominator, size));
    }
}

// torch.optim.SGD as SGD.swift does it: g += wd·p; with momentum, buf = g on the first step,
// else momentum·buf + (1 − dampening)·g, and g = nesterov ? g + momentum·buf : buf;
// then p −= lr·g. The scalars are rounded to the tensor's type first, as Tensor·Double does.
#define NK_SGD_KERNEL(SUFFIX, T, MUL, ADD, SUB)                                                \
    extern "C" __global__ void sgd_##SUFFIX(T* __restrict__ param, const T* __restrict__ grad, \
                                            T* __restrict__ momentumBuffer, i64 n, double lr,  \
                                            double momentum, double dampening,                 \
                                            double weightDecay, int nesterov, int firstStep) { \
        const T rate = (T)lr, mom = (T)momentum, keep = (T)(1.0 - dampening);                 \
        const T decay = (T)weightDecay;                                                        \
        NK_GRID_LOOP(i, n) {                                                                   \
            T p = param[i], g = grad[i];                                                       \
            if (weightDecay != 0) g = ADD(g, MUL(p, decay));                                   \
            if (momentum != 0) {                                                               \
                T buffer = firstStep ? g : ADD(MUL(momentumBuffer[i], mom), MUL(g, keep));     \
                momentumBuffer[i] = buffer;                                                    \
                g = nesterov ? ADD(g, MUL(buffer, mom)) : buffer;                              \
            }                                                                                  \
            param[i] = SUB(p, MUL(g, rate));                                                   \
        }                                                                                      \
    }
NK_SGD_KERNEL(f32, float, __fmul_rn, __fadd_rn, __fsub_rn)
NK_SGD_KERNEL(f64, double, __dmul_rn, __dadd_rn, __dsub_rn)
