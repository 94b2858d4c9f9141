// Wide code without build flags. NK_WIDE_RANGE(name) { body } compiles a range kernel (the
// signature nk_parallel_for takes: context, begin, end) three times on x86-64, for AVX-512
// (x86-64-v4's features), AVX2 + FMA (x86-64-v3's) and the baseline, and `name` runs the one
// nk_vector_level() picks: the widest the CPU has, unless NEURON_CPU_ISA or a test asks for a
// narrower one. The level is per thread and travels with nk_parallel_for to its workers.
// Elsewhere there is one plain version. Helpers of wide kernels are NK_INLINE, so they run
// inside each variant.
#ifndef NEURON_DISPATCH_H
#define NEURON_DISPATCH_H

#include "NeuronKernels.h"

#define NK_INLINE static inline __attribute__((always_inline))

// Feature lists rather than "arch=x86-64-v4": an arch also sets the tuning, and v4's tuning
// keeps loops at 256 bits.
#define NK_FEATURES_AVX2 "avx,avx2,bmi,bmi2,f16c,fma,lzcnt,movbe,popcnt,sse3,ssse3,sse4.1,sse4.2,xsave,cx16"
#define NK_FEATURES_AVX512 NK_FEATURES_AVX2 ",avx512f,avx512bw,avx512cd,avx512dq,avx512vl"

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target)
#define NK_VARIANTS 1
#endif
#endif

#ifdef NK_VARIANTS
#define NK_VARIANT(NAME, SUFFIX, FEATURES)                                                     \
    __attribute__((target(FEATURES))) static void NAME##_##SUFFIX(void *c, int64_t b, int64_t e) { \
        NAME##_body(c, b, e);                                                                  \
    }
#define NK_WIDE_RANGE(NAME)                                                                    \
    NK_INLINE void NAME##_body(void *context, int64_t begin, int64_t end);                     \
    NK_VARIANT(NAME, avx512, NK_FEATURES_AVX512)                                               \
    NK_VARIANT(NAME, avx2, NK_FEATURES_AVX2)                                                   \
    static void NAME##_baseline(void *c, int64_t b, int64_t e) { NAME##_body(c, b, e); }       \
    static void NAME(void *c, int64_t b, int64_t e) {                                          \
        switch (nk_vector_level()) {                                                           \
        case NK_AVX512: NAME##_avx512(c, b, e); break;                                         \
        case NK_AVX2: NAME##_avx2(c, b, e); break;                                             \
        default: NAME##_baseline(c, b, e);                                                     \
        }                                                                                      \
    }                                                                                          \
    NK_INLINE void NAME##_body(void *context, int64_t begin, int64_t end)
// For scalar loops (argmax, max pooling): AVX-512 would do their selects in mask registers,
// which lengthens the loop-carried chain, so these stop at AVX2.
#define NK_WIDE_AVX2_RANGE(NAME)                                                               \
    NK_INLINE void NAME##_body(void *context, int64_t begin, int64_t end);                     \
    NK_VARIANT(NAME, avx2, NK_FEATURES_AVX2)                                                   \
    static void NAME##_baseline(void *c, int64_t b, int64_t e) { NAME##_body(c, b, e); }       \
    static void NAME(void *c, int64_t b, int64_t e) {                                          \
        if (nk_vector_level() >= NK_AVX2) NAME##_avx2(c, b, e);                                \
        else NAME##_baseline(c, b, e);                                                         \
    }                                                                                          \
    NK_INLINE void NAME##_body(void *context, int64_t begin, int64_t end)
#else
#define NK_WIDE_RANGE(NAME) static void NAME(void *context, int64_t begin, int64_t end)
#define NK_WIDE_AVX2_RANGE(NAME) NK_WIDE_RANGE(NAME)
#endif

// a * b + c may become one FMA, also across statements (what -ffp-contract=fast did).
#ifdef __clang__
#pragma clang fp contract(fast)
#endif

// Math as LLVM intrinsics rather than libm calls that may set errno (what -fno-math-errno
// did): sqrt becomes one instruction, and loops calling the others still vectorise around
// libm's scalar calls, with the same results. Type-generic (float or double).
#if defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_sqrt) && __has_builtin(__builtin_elementwise_pow) &&   \
    __has_builtin(__builtin_elementwise_tanh)
#define nk_sqrt(x) __builtin_elementwise_sqrt(x)
#define nk_exp(x) __builtin_elementwise_exp(x)
#define nk_log(x) __builtin_elementwise_log(x)
#define nk_tanh(x) __builtin_elementwise_tanh(x)
#define nk_sin(x) __builtin_elementwise_sin(x)
#define nk_cos(x) __builtin_elementwise_cos(x)
#define nk_pow(x, y) __builtin_elementwise_pow(x, y)
#endif
#endif
#ifndef nk_sqrt
#include <math.h>
#define nk_sqrt(x) _Generic((x), float: sqrtf, default: sqrt)(x)
#define nk_exp(x) _Generic((x), float: expf, default: exp)(x)
#define nk_log(x) _Generic((x), float: logf, default: log)(x)
#define nk_tanh(x) _Generic((x), float: tanhf, default: tanh)(x)
#define nk_sin(x) _Generic((x), float: sinf, default: sin)(x)
#define nk_cos(x) _Generic((x), float: cosf, default: cos)(x)
#define nk_pow(x, y) _Generic((x), float: powf, default: pow)(x, y)
#endif

#endif
