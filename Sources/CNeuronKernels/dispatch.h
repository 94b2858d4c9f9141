// Wide code without build flags. NK_WIDE compiles a kernel three times on x86-64, for
// x86-64-v4 (AVX-512), x86-64-v3 (AVX2 + FMA) and the baseline, and the loader picks the
// widest one the CPU runs (an ifunc, resolved once at load). Elsewhere it does nothing.
// Helpers of NK_WIDE functions are NK_INLINE, so they run inside each clone.
#ifndef NEURON_DISPATCH_H
#define NEURON_DISPATCH_H

// The clones need glibc's ifunc (musl has none) and a compiler whose resolver knows the
// x86-64-v3/v4 levels (clang 18 and later, GCC 12 and later); elsewhere the baseline code runs.
#if defined(__has_include)
#if __has_include(<features.h>)
#include <features.h>
#endif
#endif
#if defined(__clang__)
#define NK_CLONES_SUPPORTED (__clang_major__ >= 18)
#elif defined(__GNUC__)
#define NK_CLONES_SUPPORTED (__GNUC__ >= 12)
#else
#define NK_CLONES_SUPPORTED 0
#endif

#if defined(__x86_64__) && defined(__ELF__) && defined(__GLIBC__) && NK_CLONES_SUPPORTED && defined(__has_attribute)
#if __has_attribute(target_clones)
#define NK_WIDE __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
// For scalar loops (argmax, max pooling): AVX-512 would do their selects in mask registers,
// which lengthens the loop-carried chain, so these stop at AVX2.
#define NK_WIDE_AVX2 __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
#endif
#ifndef NK_WIDE
#define NK_WIDE
#define NK_WIDE_AVX2
#endif

#define NK_INLINE static inline __attribute__((always_inline))

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
