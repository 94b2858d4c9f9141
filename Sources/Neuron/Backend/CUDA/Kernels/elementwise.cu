// Element-wise kernels: unary math (contiguous), broadcasting binary arithmetic and
// comparisons, and `where`. Op numbers and formulas follow CNeuronKernels' unary.c/binary.c
// (nk_unary_op, nk_binary_op, nk_compare_op). Unary ops and the flat (contiguous or
// broadcast-scalar) binary cases get one loop per op, so the op is chosen once per launch.

#define NK_SQRT1_2 0.70710678118654752440
#define NK_SQRT_2_OVER_PI 0.79788456080286535588

// ---------------------------------------------------------------- unary
enum {
    NK_NEG, NK_EXP, NK_LOG, NK_SQRT, NK_RSQRT, NK_ABS, NK_SIGN, NK_SIGMOID, NK_TANH, NK_RELU,
    NK_LEAKY_RELU, NK_ELU, NK_GELU, NK_GELU_TANH, NK_SILU, NK_SOFTPLUS, NK_ERF, NK_CLAMP,
    NK_STEP, NK_SQUARE, NK_RECIPROCAL, NK_LOG1P, NK_EXPM1, NK_SIN, NK_COS, NK_UNARY_COUNT
};

// float32 works in float throughout (the parameters are rounded to float first), as on the CPU.
template <int OP>
__device__ __forceinline__ float unary_value(float x, float p0, float p1) {
    switch (OP) {
    case NK_NEG: return -x;
    case NK_EXP: return expf(x);
    case NK_LOG: return logf(x);
    case NK_SQRT: return sqrtf(x);
    case NK_RSQRT: return 1.0f / sqrtf(x);
    case NK_ABS: return fabsf(x);
    case NK_SIGN: return (float)(x > 0) - (float)(x < 0);
    case NK_SIGMOID: return nk_sigmoid(x);
    case NK_TANH: return tanhf(x);
    case NK_RELU: return x > 0 ? x : (x != x ? x : 0.0f);
    case NK_LEAKY_RELU: return x > 0 ? x : x * p0;
    case NK_ELU: return x > 0 ? x : p0 * expm1f(x);
    case NK_GELU: return 0.5f * x * (1.0f + erff(x * (float)NK_SQRT1_2));
    case NK_GELU_TANH:
        return 0.5f * x * (1.0f + tanhf((float)NK_SQRT_2_OVER_PI * (x + 0.044715f * x * x * x)));
    case NK_SILU: return x * nk_sigmoid(x);
    case NK_SOFTPLUS: { // p0 = beta, p1 = threshold
        float bx = x * p0;
        return bx > p1 ? x : log1pf(expf(bx)) / p0;
    }
    case NK_ERF: return erff(x);
    case NK_CLAMP: { // p0 = low, p1 = high; NaN passes through
        float v = x < p0 ? p0 : x;
        return v > p1 ? p1 : v;
    }
    case NK_STEP: return x > 0 ? 1.0f : 0.0f;
    case NK_SQUARE: return x * x;
    case NK_RECIPROCAL: return 1.0f / x;
    case NK_LOG1P: return log1pf(x);
    case NK_EXPM1: return expm1f(x);
    case NK_SIN: return sinf(x);
    case NK_COS: return cosf(x);
    }
    return x;
}

template <int OP>
__device__ __forceinline__ double unary_value(double v, double p0, double p1) {
    switch (OP) {
    case NK_NEG: return -v;
    case NK_EXP: return exp(v);
    case NK_LOG: return log(v);
    case NK_SQRT: return sqrt(v);
    case NK_RSQRT: return 1.0 / sqrt(v);
    case NK_ABS: return fabs(v);
    case NK_SIGN: return (double)(v > 0) - (double)(v < 0);
    case NK_SIGMOID: return nk_sigmoid(v);
    case NK_TANH: return tanh(v);
    case NK_RELU: return v > 0 ? v : (v != v ? v : 0.0);
    case NK_LEAKY_RELU: return v > 0 ? v : v * p0;
    case NK_ELU: return v > 0 ? v : p0 * expm1(v);
    case NK_GELU: return 0.5 * v * (1.0 + erf(v * NK_SQRT1_2));
    case NK_GELU_TANH: return 0.5 * v * (1.0 + tanh(NK_SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
    case NK_SILU: return v / (1.0 + exp(-v));
    case NK_SOFTPLUS: return v * p0 > p1 ? v : log1p(exp(v * p0)) / p0;
    case NK_ERF: return erf(v);
    case NK_CLAMP: {
        double r = v < p0 ? p0 : v;
        return r > p1 ? p1 : r;
    }
    case NK_STEP: return v > 0 ? 1.0 : 0.0;
    case NK_SQUARE: return v * v;
    case NK_RECIPROCAL: return 1.0 / v;
    case NK_LOG1P: return log1p(v);
    case NK_EXPM1: return expm1(v);
    case NK_SIN: return sin(v);
    case NK_COS: return cos(v);
    }
    return v;
}

template <typename T, int OP>
__device__ void unary_loop(const T* __restrict__ x, T* __restrict__ y, i64 n, T p0, T p1) {
    NK_GRID_LOOP(i, n) y[i] = unary_value<OP>(x[i], p0, p1);
}

#define NK_UNARY_CASE(OP)                                                                      \
    case OP: unary_loop<T, OP>(x, y, n, p0, p1); break;

template <typename T>
__device__ void unary_dispatch(int op, const T* x, T* y, i64 n, T p0, T p1) {
    switch (op) {
    NK_UNARY_CASE(0) NK_UNARY_CASE(1) NK_UNARY_CASE(2) NK_UNARY_CASE(3) NK_UNARY_CASE(4)
    NK_UNARY_CASE(5) NK_UNARY_CASE(6) NK_UNARY_CASE(7) NK_UNARY_CASE(8) NK_UNARY_CASE(9)
    NK_UNARY_CASE(10) NK_UNARY_CASE(11) NK_UNARY_CASE(12) NK_UNARY_CASE(13) NK_UNARY_CASE(14)
    NK_UNARY_CASE(15) NK_UNARY_CASE(16) NK_UNARY_CASE(17) NK_UNARY_CASE(18) NK_UNARY_CASE(19)
    NK_UNARY_CASE(20) NK_UNARY_CASE(21) NK_UNARY_CASE(22) NK_UNARY_CASE(23) NK_UNARY_CASE(24)
    default: break;
    }
}

extern "C" __global__ void unary_f32(int op, const float* x, float* y, i64 n, double p0, double p1) {
    unary_dispatch<float>(op, x, y, n, (float)p0, (float)p1);
}

extern "C" __global__ void unary_f64(int op, const double* x, double* y, i64 n, double p0, double p1) {
    unary_dispatch<double>(op, x, y, n, p0, p1);
}

// ---------------------------------------------------------------- binary
enum { NK_ADD, NK_SUB, NK_MUL, NK_DIV, NK_POW, NK_MAXIMUM, NK_MINIMUM, NK_MASK_POSITIVE };
enum { NK_EQ, NK_NE, NK_LT, NK_LE, NK_GT, NK_GE };

__device__ __forceinline__ float nk_divide(float x, float y) { return x / y; }
__device__ __forceinline__ double nk_divide(double x, double y) { return x / y; }
// Integer division truncates; division by zero gives 0 instead of trapping.
__device__ __forceinline__ i64 nk_divide(i64 x, i64 y) { return y == 0 ? 0 : x / y; }

__device__ __forceinline__ float nk_power(float x, float y) { return powf(x, y); }
__device__ __forceinline__ double nk_power(double x, double y) { return pow(x, y); }
// Exponentiation by squaring, wrapping on overflow; negative exponents give 1/base^-e truncated.
__device__ __forceinline__ i64 nk_power(i64 base, i64 exponent) {
    if (exponent < 0) return base == 1 ? 1 : (base == -1 ? ((exponent & 1) ? -1 : 1) : 0);
    u64 result = 1, b = (u64)base;
    while (exponent) {
        if (exponent & 1) result *= b;
        b *= b;
        exponent >>= 1;
    }
    return (i64)result;
}

// A NaN operand wins (the first one if both are NaN).
template <typename T>
__device__ __forceinline__ T nk_maximum(T x, T y) {
    return nk_isnan(x) ? x : (nk_isnan(y) ? y : (x > y ? x : y));
}
template <typename T>
__device__ __forceinline__ T nk_minimum(T x, T y) {
    return nk_isnan(x) ? x : (nk_isnan(y) ? y : (x < y ? x : y));
}

template <int OP, typename T>
__device__ __forceinline__ T binary_value(T x, T y) {
    switch (OP) {
    case NK_ADD: return x + y;
    case NK_SUB: return x - y;
    case NK_MUL: return x * y;
    case NK_DIV: return nk_divide(x, y);
    case NK_POW: return nk_power(x, y);
    case NK_MAXIMUM: return nk_maximum(x, y);
    case NK_MINIMUM: return nk_minimum(x, y);
    case NK_MASK_POSITIVE: return y > 0 ? x : (T)0;
    }
    return x;
}

template <int OP, typename T>
__device__ __forceinline__ u8 compare_value(T x, T y) {
    switch (OP) {
    case NK_EQ: return x == y;
    case NK_NE: return x != y;
    case NK_LT: return x < y;
    case NK_LE: return x <= y;
    case NK_GT: return x > y;
    case NK_GE: return x >= y;
    }
    return 0;
}

template <typename T>
__device__ __forceinline__ T binary_any(int op, T x, T y) {
    switch (op) {
    case NK_ADD: return binary_value<NK_ADD>(x, y);
    case NK_SUB: return binary_value<NK_SUB>(x, y);
    case NK_MUL: return binary_value<NK_MUL>(x, y);
    case NK_DIV: return binary_value<NK_DIV>(x, y);
    case NK_POW: return binary_value<NK_POW>(x, y);
    case NK_MAXIMUM: return binary_value<NK_MAXIMUM>(x, y);
    case NK_MINIMUM: return binary_value<NK_MINIMUM>(x, y);
    default: return binary_value<NK_MASK_POSITIVE>(x, y);
    }
}

template <typename T>
__device__ __forceinline__ u8 compare_any(int op, T x, T y) {
    switch (op) {
    case NK_EQ: return compare_value<NK_EQ>(x, y);
    case NK_NE: return compare_value<NK_NE>(x, y);
    case NK_LT: return compare_value<NK_LT>(x, y);
    case NK_LE: return compare_value<NK_LE>(x, y);
    case NK_GT: return compare_value<NK_GT>(x, y);
    default: return compare_value<NK_GE>(x, y);
    }
}

// How a and b walk a flat loop: their strides for rank 1, else nk_flat_stride's 1 (contiguous)
// or 0 (one broadcast element); false when either needs the general offsets.
__device__ __forceinline__ bool flat_strides(const nk_layout& L, i64& sa, i64& sb) {
    if (L.rank == 1) {
        sa = L.stride[0][0];
        sb = L.stride[1][0];
        return true;
    }
    sa = nk_flat_stride(L, 0);
    sb = nk_flat_stride(L, 1);
    return sa >= 0 && sb >= 0;
}

// One loop per op without divisions, the all-contiguous case on its own.
template <typename T, typename TOUT, typename F>
__device__ __forceinline__ void flat_loop(i64 sa, i64 sb, const T* __restrict__ a, const T* __restrict__ b,
                                          TOUT* __restrict__ out, i64 n, F f) {
    if (sa == 1 && sb == 1) {
        NK_GRID_LOOP(i, n) out[i] = f(a[i], b[i]);
    } else {
        NK_GRID_LOOP(i, n) out[i] = f(a[i * sa], b[i * sb]);
    }
}

template <int OP>
struct BinaryOp {
    template <typename T> __device__ __forceinline__ T operator()(T x, T y) const { return binary_value<OP>(x, y); }
};
template <int OP>
struct CompareOp {
    template <typename T> __device__ __forceinline__ u8 operator()(T x, T y) const { return compare_value<OP>(x, y); }
};

#define NK_BINARY_CASE(OP)                                                                     \
    case OP: flat_loop(sa, sb, a, b, out, n, BinaryOp<OP>()); break;
#define NK_COMPARE_CASE(OP)                                                                    \
    case OP: flat_loop(sa, sb, a, b, out, n, CompareOp<OP>()); break;

// Other layouts share one loop per kernel that picks the op per element: the offsets'
// divisions dominate its cost, and one copy of them keeps the module small.
template <typename T>
__device__ void binary_dispatch(int op, const nk_layout& L, const T* a, const T* b, T* out, i64 n) {
    i64 sa, sb;
    if (flat_strides(L, sa, sb)) {
        switch (op) {
        NK_BINARY_CASE(0) NK_BINARY_CASE(1) NK_BINARY_CASE(2) NK_BINARY_CASE(3)
        NK_BINARY_CASE(4) NK_BINARY_CASE(5) NK_BINARY_CASE(6) NK_BINARY_CASE(7)
        default: break;
        }
        return;
    }
    NK_GRID_LOOP(i, n) {
        i64 offsets[2];
        nk_offsets<2>(L, i, offsets);
        out[i] = binary_any(op, a[offsets[0]], b[offsets[1]]);
    }
}

template <typename T>
__device__ void compare_dispatch(int op, const nk_layout& L, const T* a, const T* b, u8* out, i64 n) {
    i64 sa, sb;
    if (flat_strides(L, sa, sb)) {
        switch (op) {
        NK_COMPARE_CASE(0) NK_COMPARE_CASE(1) NK_COMPARE_CASE(2)
        NK_COMPARE_CASE(3) NK_COMPARE_CASE(4) NK_COMPARE_CASE(5)
        default: break;
        }
        return;
    }
    NK_GRID_LOOP(i, n) {
        i64 offsets[2];
        nk_offsets<2>(L, i, offsets);
        out[i] = compare_any(op, a[offsets[0]], b[offsets[1]]);
    }
}

#define NK_BINARY_KERNEL(SUFFIX, T)                                                            \
    extern "C" __global__ void binary_##SUFFIX(int op, nk_layout L, const T* a, const T* b,    \
                                               T* out, i64 n) {                                \
        binary_dispatch<T>(op, L, a, b, out, n);                                               \
    }
NK_BINARY_KERNEL(f32, float)
NK_BINARY_KERNEL(f64, double)
NK_BINARY_KERNEL(i64, i64)

#define NK_COMPARE_KERNEL(SUFFIX, T)                                                           \
    extern "C" __global__ void compare_##SUFFIX(int op, nk_layout L, const T* a, const T* b,   \
                                                u8* out, i64 n) {                              \
        compare_dispatch<T>(op, L, a, b, out, n);                                              \
    }
NK_COMPARE_KERNEL(f32, float)
NK_COMPARE_KERNEL(f64, double)
NK_COMPARE_KERNEL(i64, i64)
NK_COMPARE_KERNEL(u8, u8)

// ---------------------------------------------------------------- where
// cond is operand 0, a operand 1, b operand 2; out is contiguous.
template <typename T>
__device__ void where_loop(const nk_layout& L, const u8* __restrict__ cond, const T* __restrict__ a,
                           const T* __restrict__ b, T* __restrict__ out, i64 n) {
    if (nk_flat_stride(L, 0) == 1 && nk_flat_stride(L, 1) == 1 && nk_flat_stride(L, 2) == 1) {
        NK_GRID_LOOP(i, n) out[i] = cond[i] != 0 ? a[i] : b[i];
        return;
    }
    NK_GRID_LOOP(i, n) {
        i64 offsets[3];
        nk_offsets<3>(L, i, offsets);
        out[i] = cond[offsets[0]] != 0 ? a[offsets[1]] : b[offsets[2]];
    }
}

#define NK_WHERE_KERNEL(SIZE, T)                                                               \
    extern "C" __global__ void where_##SIZE(nk_layout L, const u8* cond, const T* a,           \
                                            const T* b, T* out, i64 n) {                       \
        where_loop<T>(L, cond, a, b, out, n);                                                  \
    }
NK_WHERE_KERNEL(1, u8)
NK_WHERE_KERNEL(2, u16)
NK_WHERE_KERNEL(4, u32)
NK_WHERE_KERNEL(8, u64)
