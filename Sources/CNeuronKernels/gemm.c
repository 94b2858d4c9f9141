// Row-major GEMM: oneDNN's sgemm (JIT AVX-512 kernels, about twice OpenBLAS here) for real
// work, a plain loop for tiny products where a library call costs more than the arithmetic.
#include "NeuronKernels.h"
#include "dispatch.h"
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>

static int64_t small_gemm_limit = 16 * 16 * 16;

void nk_set_small_gemm_limit(int64_t flops) { small_gemm_limit = flops; }

#define AT(p, ld, trans, r, c) ((trans) ? (p)[(c) * (ld) + (r)] : (p)[(r) * (ld) + (c)])

// Row range [begin, end) of c = alpha·op(a)·op(b) + beta·c.
#define PLAIN_GEMM(SUFFIX, T)                                                                  \
    typedef struct {                                                                           \
        int trans_a, trans_b;                                                                  \
        int64_t n, k, lda, ldb, ldc;                                                           \
        T alpha, beta;                                                                         \
        const T *a, *b;                                                                        \
        T *c;                                                                                  \
    } plain_gemm_##SUFFIX;                                                                     \
    NK_WIDE_RANGE(plain_gemm_rows_##SUFFIX) {                                                  \
        const plain_gemm_##SUFFIX *g = context;                                                \
        const int64_t n = g->n, k = g->k, lda = g->lda, ldb = g->ldb;                          \
        const T *a = g->a, *b = g->b;                                                          \
        for (int64_t i = begin; i < end; i++) {                                                \
            T *row = g->c + i * g->ldc;                                                        \
            if (g->beta == 0) for (int64_t j = 0; j < n; j++) row[j] = 0;                      \
            else if (g->beta != 1) for (int64_t j = 0; j < n; j++) row[j] *= g->beta;          \
            for (int64_t p = 0; p < k; p++) {                                                  \
                T scaled = g->alpha * AT(a, lda, g->trans_a, i, p);                            \
                if (g->trans_b) for (int64_t j = 0; j < n; j++) row[j] += scaled * b[j * ldb + p]; \
                else { const T *brow = b + p * ldb; for (int64_t j = 0; j < n; j++) row[j] += scaled * brow[j]; } \
            }                                                                                  \
        }                                                                                      \
    }
PLAIN_GEMM(f32, float)
PLAIN_GEMM(f64, double)

void nk_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                 int64_t ldc) {
    if (m == 0 || n == 0) return;
    if (m * n * k <= small_gemm_limit || k == 0) {
        plain_gemm_f32 g = { trans_a, trans_b, n, k, lda, ldb, ldc, alpha, beta, a, b, c };
        plain_gemm_rows_f32(&g, 0, m);
        return;
    }
    nk_wait_for_dnnl_warm_up();
    dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c,
               ldc);
}

// Float64 is for gradient checks and small reference work: a plain loop is enough.
void nk_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                 const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                 double *c, int64_t ldc) {
    if (m == 0 || n == 0) return;
    plain_gemm_f64 g = { trans_a, trans_b, n, k, lda, ldb, ldc, alpha, beta, a, b, c };
    nk_parallel_for(m, 1 + 65536 / (n * (k + 1)), plain_gemm_rows_f64, &g);
}

// NEURON_CPU_ISA's limit for oneDNN's JIT kernels too (it takes one only before its first use).
void nk_limit_dnnl_isa(int level) {
    dnnl_set_max_cpu_isa(level >= NK_AVX512 ? dnnl_cpu_isa_avx512_core
                         : level == NK_AVX2 ? dnnl_cpu_isa_avx2
                                            : dnnl_cpu_isa_sse41);
}

// oneDNN builds its GEMM kernels on the first product (about 30 ms). A program that is about to
// load its data can have a thread of its own do that meanwhile; every oneDNN call, and the
// program before it exits, waits for that thread first, so the library never runs on two threads
// at once while it sets itself up.
static pthread_t warm_up_thread;
static int warm_up_running = 0;
static pthread_mutex_t warm_up_lock = PTHREAD_MUTEX_INITIALIZER;

static void *warm_up(void *unused) {
    (void)unused;
    nk_set_num_threads(1);
    float a[64] = {0}, b[64] = {0}, c[64];
    dnnl_sgemm('N', 'N', 8, 8, 8, 1.0f, a, 8, b, 8, 0.0f, c, 8);
    return NULL;
}

void nk_start_dnnl_warm_up(void) {
    static int started = 0;
    pthread_mutex_lock(&warm_up_lock);
    if (!started) {
        started = 1;
        if (pthread_create(&warm_up_thread, NULL, warm_up, NULL) == 0)
            __atomic_store_n(&warm_up_running, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&warm_up_lock);
}

void nk_wait_for_dnnl_warm_up(void) {
    if (!__atomic_load_n(&warm_up_running, __ATOMIC_ACQUIRE)) return;
    pthread_mutex_lock(&warm_up_lock);
    if (warm_up_running) {
        pthread_join(warm_up_thread, NULL);
        __atomic_store_n(&warm_up_running, 0, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&warm_up_lock);
}
