// cuBLAS's strided-batched GEMMs (column-major, as cuBLAS defines them) on the host, queued
// like kernels so that graph capture records them.
#include "emulator.h"
#include <cstdint>
#include <cstring>
#include <vector>

namespace {
constexpr int opT = 1;
constexpr int realF32 = 0, realF64 = 1, realBF16 = 14;

float bf16ToFloat(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

double load(const void *p, int type, long long i) {
    switch (type) {
    case realF64: return ((const double *)p)[i];
    case realBF16: return bf16ToFloat(((const uint16_t *)p)[i]);
    default: return ((const float *)p)[i];
    }
}

/// C = alpha·op(A)·op(B) + beta·C per batch, accumulating in `Accumulator`: the operands are
/// first gathered into dense column-major op(A)ᵀ rows and op(B) columns, so that the inner
/// loop is one contiguous dot product.
template <typename Accumulator>
void gemm(int ta, int tb, int m, int n, int k, double alpha, const void *a, int aType, int lda, long long sa,
          const void *b, int bType, int ldb, long long sb, double beta, void *c, int cType, int ldc, long long sc,
          int batches) {
    std::vector<Accumulator> rows((size_t)m * k), cols((size_t)n * k);
    for (int batch = 0; batch < batches; batch++) {
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
                rows[(size_t)i * k + p] =
                    (Accumulator)load(a, aType, batch * sa + (ta == opT ? (long long)i * lda + p : (long long)p * lda + i));
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++)
                cols[(size_t)j * k + p] =
                    (Accumulator)load(b, bType, batch * sb + (tb == opT ? (long long)p * ldb + j : (long long)j * ldb + p));
        for (int j = 0; j < n; j++) {
            const Accumulator *column = cols.data() + (size_t)j * k;
            for (int i = 0; i < m; i++) {
                const Accumulator *row = rows.data() + (size_t)i * k;
                Accumulator sum = 0;
                for (int p = 0; p < k; p++) sum += row[p] * column[p];
                long long ic = batch * sc + (long long)j * ldc + i;
                if (cType == realF64) {
                    double *out = (double *)c + ic;
                    *out = alpha * (double)sum + (beta == 0 ? 0 : beta * *out);
                } else {
                    float *out = (float *)c + ic;
                    *out = (float)(alpha * (double)sum + (beta == 0 ? 0 : beta * *out));
                }
            }
        }
    }
}
}  // namespace

extern "C" {
int cublasCreate_v2(void **handle) {
    *handle = (void *)0x4;
    return 0;
}
int cublasSetStream_v2(void *, void *) { return 0; }
int cublasSetMathMode(void *, int) { return 0; }
int cublasSetWorkspace_v2(void *, void *, size_t) { return 0; }

int cublasSgemmStridedBatched(void *, int ta, int tb, int m, int n, int k, const float *alpha, const float *a, int lda,
                              long long sa, const float *b, int ldb, long long sb, const float *beta, float *c, int ldc,
                              long long sc, int batches) {
    double al = *alpha, be = *beta;
    nk_emu::enqueue([=] {
        gemm<float>(ta, tb, m, n, k, al, a, realF32, lda, sa, b, realF32, ldb, sb, be, c, realF32, ldc, sc, batches);
    });
    return 0;
}
int cublasDgemmStridedBatched(void *, int ta, int tb, int m, int n, int k, const double *alpha, const double *a,
                              int lda, long long sa, const double *b, int ldb, long long sb, const double *beta,
                              double *c, int ldc, long long sc, int batches) {
    double al = *alpha, be = *beta;
    nk_emu::enqueue([=] {
        gemm<double>(ta, tb, m, n, k, al, a, realF64, lda, sa, b, realF64, ldb, sb, be, c, realF64, ldc, sc, batches);
    });
    return 0;
}
/// Mixed types: bfloat16 or float32 operands into float32 with float32 scalars and accumulation.
int cublasGemmStridedBatchedEx(void *, int ta, int tb, int m, int n, int k, const void *alpha, const void *a,
                               int aType, int lda, long long sa, const void *b, int bType, int ldb, long long sb,
                               const void *beta, void *c, int cType, int ldc, long long sc, int batches, int, int) {
    double al = *(const float *)alpha, be = *(const float *)beta;
    nk_emu::enqueue([=] {
        gemm<float>(ta, tb, m, n, k, al, a, aType, lda, sa, b, bType, ldb, sb, be, c, cType, ldc, sc, batches);
    });
    return 0;
}
}
