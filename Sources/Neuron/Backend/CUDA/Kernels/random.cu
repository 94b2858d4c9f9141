// Counter-based random numbers: Philox4x32-10 keyed by the 64-bit seed, with the 128-bit
// counter (offset + g, 0) for element group g; the same (seed, offset, n) always gives the
// same numbers, whatever the launch shape.
//
// Counter values a call of n elements consumes (advance the offset by this much):
//   float32 uniform/normal/bernoulli: ceil(n / 4)   (4 elements per Philox call)
//   float64 uniform/normal/bernoulli: ceil(n / 2)   (2 elements per Philox call)
//
// Uniforms lie in [0, 1): float32 uses a word's top 24 bits, float64 53 bits of two words.
// Normals are Box–Muller over pairs of uniforms (u1, u2), with log(1 − u1) so never log(0).
// Bernoulli writes 0 where u < p and `scale` elsewhere (dropout's mask, scale = 1/(1 − p)).

struct nk_philox_block { u32 w[4]; };

__device__ __forceinline__ nk_philox_block nk_philox(u64 seed, u64 counter) {
    u32 c0 = (u32)counter, c1 = (u32)(counter >> 32), c2 = 0, c3 = 0;
    u32 k0 = (u32)seed, k1 = (u32)(seed >> 32);
#pragma unroll
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        u32 lo0 = 0xD2511F53u * c0, hi0 = __umulhi(0xD2511F53u, c0);
        u32 lo1 = 0xCD9E8D57u * c2, hi1 = __umulhi(0xCD9E8D57u, c2);
        u32 n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
    nk_philox_block b;
    b.w[0] = c0;
    b.w[1] = c1;
    b.w[2] = c2;
    b.w[3] = c3;
    return b;
}

__device__ __forceinline__ float nk_unit_f32(u32 w) { return (float)(w >> 8) * 5.9604644775390625e-8f; }
__device__ __forceinline__ double nk_unit_f64(u32 hi, u32 lo) {
    return (double)((((u64)hi << 32) | lo) >> 11) * 1.1102230246251565404e-16;
}

// The four float32 uniforms or the two float64 uniforms of element group g.
__device__ __forceinline__ void nk_uniforms(u64 seed, u64 counter, float* u) {
    nk_philox_block b = nk_philox(seed, counter);
#pragma unroll
    for (int k = 0; k < 4; k++) u[k] = nk_unit_f32(b.w[k]);
}
__device__ __forceinline__ void nk_uniforms(u64 seed, u64 counter, double* u) {
    nk_philox_block b = nk_philox(seed, counter);
    u[0] = nk_unit_f64(b.w[0], b.w[1]);
    u[1] = nk_unit_f64(b.w[2], b.w[3]);
}

__device__ __forceinline__ void nk_box_muller(float u1, float u2, float* z) {
    float r = sqrtf(-2.0f * logf(1.0f - u1)), s, c;
    sincospif(2.0f * u2, &s, &c);
    z[0] = r * c;
    z[1] = r * s;
}
__device__ __forceinline__ void nk_box_muller(double u1, double u2, double* z) {
    double r = sqrt(-2.0 * log(1.0 - u1)), s, c;
    sincospi(2.0 * u2, &s, &c);
    z[0] = r * c;
    z[1] = r * s;
}

// One thread per element group of PER elements (4 for float, 2 for double); the last group
// may be partial.
template <typename T>
struct nk_group { enum { PER = 16 / (int)sizeof(T) }; };

template <typename T>
__device__ void uniform_loop(T* out, i64 n, u64 seed, u64 offset, double low, double high) {
    const int PER = nk_group<T>::PER;
    const T lo = (T)low, span = (T)(high - low);
    NK_GRID_LOOP(g, (n + PER - 1) / PER) {
        T u[PER];
        nk_uniforms(seed, offset + (u64)g, u);
#pragma unroll
        for (int k = 0; k < PER; k++)
            if (g * PER + k < n) out[g * PER + k] = lo + span * u[k];
    }
}

template <typename T>
__device__ void normal_loop(T* out, i64 n, u64 seed, u64 offset, double mean, double std) {
    const int PER = nk_group<T>::PER;
    const T m = (T)mean, s = (T)std;
    NK_GRID_LOOP(g, (n + PER - 1) / PER) {
        T u[PER], z[PER];
        nk_uniforms(seed, offset + (u64)g, u);
#pragma unroll
        for (int k = 0; k < PER; k += 2) nk_box_muller(u[k], u[k + 1], z + k);
#pragma unroll
        for (int k = 0; k < PER; k++)
            if (g * PER + k < n) out[g * PER + k] = m + s * z[k];
    }
}

template <typename T>
__device__ void bernoulli_loop(T* out, i64 n, u64 seed, u64 offset, double p, double scale) {
    const int PER = nk_group<T>::PER;
    const T kept = (T)scale;
    NK_GRID_LOOP(g, (n + PER - 1) / PER) {
        T u[PER];
        nk_uniforms(seed, offset + (u64)g, u);
#pragma unroll
        for (int k = 0; k < PER; k++)
            if (g * PER + k < n) out[g * PER + k] = (double)u[k] < p ? (T)0 : kept;
    }
}

#define NK_RANDOM_KERNELS(SUFFIX, T)                                                           \
    extern "C" __global__ void uniform_##SUFFIX(T* out, i64 n, u64 seed, u64 offset,           \
                                                double low, double high) {                     \
        uniform_loop<T>(out, n, seed, offset, low, high);                                      \
    }                                                                                          \
    extern "C" __global__ void normal_##SUFFIX(T* out, i64 n, u64 seed, u64 offset,            \
                                               double mean, double std) {                      \
        normal_loop<T>(out, n, seed, offset, mean, std);                                       \
    }                                                                                          \
    extern "C" __global__ void bernoulli_##SUFFIX(T* out, i64 n, u64 seed, u64 offset,         \
                                                  double p, double scale) {                    \
        bernoulli_loop<T>(out, n, seed, offset, p, scale);                                     \
    }
NK_RANDOM_KERNELS(f32, float)
NK_RANDOM_KERNELS(f64, double)
