// Row-major GEMM: oneDNN's sgemm (JIT AVX-512 kernels, about twice OpenBLAS here) for real
// work, a plain loop for tiny products where a library call costs more than the arithmetic.
#include "NeuronKernels.h"
#include "dispatch.h"
#include <oneapi/dnnl/dnnl.h>

static int64_t small_gemm_limit = 16 * 16 * 16;

void nk_set_small_gemm_limit(int64_t flops) { small_gemm_limit = flops; }

#define AT(p, ld, trans, r, c) ((trans) ? (p)[(c) * (ld) + (r)] : (p)[(r) * (ld) + (c)])

#define PLAIN_GEMM(T)                                                                          \
    for (int64_t i = 0; i < m; i++) {                                                          \
        T *row = c + i * ldc;                                                                  \
        if (beta == 0) for (int64_t j = 0; j < n; j++) row[j] = 0;                             \
        else if (beta != 1) for (int64_t j = 0; j < n; j++) row[j] *= beta;                   \
        for (int64_t p = 0; p < k; p++) {                                                      \
            T scaled = alpha * AT(a, lda, trans_a, i, p);                                      \
            if (trans_b) for (int64_t j = 0; j < n; j++) row[j] += scaled * b[j * ldb + p];    \
            else { const T *brow = b + p * ldb; for (int64_t j = 0; j < n; j++) row[j] += scaled * brow[j]; } \
        }                                                                                      \
    }

NK_WIDE
void nk_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                 int64_t ldc) {
    if (m == 0 || n == 0) return;
    if (m * n * k <= small_gemm_limit || k == 0) {
        PLAIN_GEMM(float)
        return;
    }
    dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c,
               ldc);
}

// Float64 is for gradient checks and small reference work: a plain loop is enough.
NK_WIDE
void nk_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                 const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                 double *c, int64_t ldc) {
    if (m == 0 || n == 0) return;
    PLAIN_GEMM(double)
}
