// Build: cc -O2 -o /tmp/gemm bench/gemm.c -lopenblas -ldnnl
// Run:   OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 /tmp/gemm
//
// Float32 GEMM baseline, C = A·B (row-major, no transposes, alpha=1, beta=0)
// for square n in {256, 512, 1024, 2048}, with OpenBLAS cblas_sgemm and
// oneDNN dnnl_sgemm. Prints one JSON object per line on stdout, e.g.
//   {"name":"sgemm_openblas_1024","gflops":123.4,"median_ms":17.4,"reps":29}
// Diagnostics (library versions, thread counts) go to stderr.
// Exits non-zero if a library fails or returns numerically wrong results.
//
// Optional arguments: "openblas" or "dnnl" to run only one library, and/or
// sizes (e.g. `/tmp/gemm dnnl 1024`); the default is both libraries, all sizes.

#define _GNU_SOURCE // dlsym, RTLD_DEFAULT
#include <cblas.h>
#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { THREADS = 2, WARMUP = 3, MIN_REPS = 20, MAX_REPS = 1000 };
static const double MIN_SECONDS = 0.5; // keep timing small sizes for at least this long

typedef enum { LIB_OPENBLAS, LIB_DNNL } lib_t;
static const char *lib_name[] = {"openblas", "dnnl"};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// libgomp is only a transitive dependency (via libdnnl), so the OpenMP API is
// looked up at run time instead of requiring -fopenmp on the build line.
// omp_set_num_threads must be used rather than setenv("OMP_NUM_THREADS"):
// libgomp reads the environment in its constructor, before main runs.
static int omp_threads(int set) {
    void (*set_fn)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    int (*get_fn)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_max_threads");
    if (set > 0 && set_fn) set_fn(set);
    return get_fn ? get_fn() : -1;
}

static float *alloc_matrix(int n) {
    float *p = aligned_alloc(64, (size_t)n * n * sizeof(float));
    if (!p) {
        fprintf(stderr, "out of memory (n=%d)\n", n);
        exit(2);
    }
    return p;
}

// Deterministic uniform values in [-1, 1).
static void fill_random(float *p, size_t count, unsigned long long seed) {
    for (size_t i = 0; i < count; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        p[i] = (float)((double)(seed >> 40) / (double)(1ULL << 24) * 2.0 - 1.0);
    }
}

static int run_gemm(lib_t lib, int n, const float *a, const float *b, float *c) {
    if (lib == LIB_OPENBLAS) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n,
                    1.0f, a, n, b, n, 0.0f, c, n);
        return 0;
    }
    dnnl_status_t st = dnnl_sgemm('N', 'N', n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    if (st != dnnl_success) {
        fprintf(stderr, "dnnl_sgemm failed (n=%d): status %d\n", n, (int)st);
        return 1;
    }
    return 0;
}

// Compare a few entries of C (the corners plus pseudo-random ones) with a
// double-precision dot product. The tolerance is the standard worst-case
// rounding bound for a length-n float dot product, n·eps·Σ|a_ik·b_kj|, which
// is far below the error of a wrong layout/transpose (O(1) per entry here).
static int check(const char *label, int n, const float *a, const float *b, const float *c) {
    int rows[12] = {0, 0, n - 1, n - 1}, cols[12] = {0, n - 1, 0, n - 1};
    unsigned long long s = 12345;
    for (int t = 4; t < 12; t++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        rows[t] = (int)((s >> 33) % (unsigned)n);
        cols[t] = (int)((s >> 13) % (unsigned)n);
    }
    for (int t = 0; t < 12; t++) {
        int i = rows[t], j = cols[t];
        double ref = 0, mag = 0;
        for (int k = 0; k < n; k++) {
            double p = (double)a[(size_t)i * n + k] * (double)b[(size_t)k * n + j];
            ref += p;
            mag += fabs(p);
        }
        double got = c[(size_t)i * n + j];
        double tol = n * (double)FLT_EPSILON * mag + 1e-6;
        if (!(fabs(got - ref) <= tol)) { // also catches NaN
            fprintf(stderr, "%s: WRONG C[%d][%d] = %.9g, expected %.9g (tol %.3g)\n",
                    label, i, j, got, ref, tol);
            return 1;
        }
    }
    return 0;
}

static int bench(lib_t lib, int n) {
    char label[64];
    snprintf(label, sizeof label, "sgemm_%s_%d", lib_name[lib], n);

    float *a = alloc_matrix(n), *b = alloc_matrix(n), *c = alloc_matrix(n);
    fill_random(a, (size_t)n * n, 1);
    fill_random(b, (size_t)n * n, 2);
    // NaN-fill C: with beta=0 the library must overwrite it without reading it.
    memset(c, 0xff, (size_t)n * n * sizeof(float));

    int rc = 0;
    for (int i = 0; i < WARMUP && rc == 0; i++) rc = run_gemm(lib, n, a, b, c);
    if (rc == 0) rc = check(label, n, a, b, c);

    double times[MAX_REPS];
    int reps = 0;
    double start = now();
    while (rc == 0 && reps < MAX_REPS && (reps < MIN_REPS || now() - start < MIN_SECONDS)) {
        double t0 = now();
        rc = run_gemm(lib, n, a, b, c);
        times[reps++] = now() - t0;
    }
    if (rc == 0) rc = check(label, n, a, b, c); // the timed runs must be right too

    if (rc == 0) {
        qsort(times, reps, sizeof times[0], cmp_double);
        double med = reps % 2 ? times[reps / 2] : 0.5 * (times[reps / 2 - 1] + times[reps / 2]);
        double gflops = 2.0 * n * n * (double)n / med * 1e-9;
        printf("{\"name\":\"%s\",\"gflops\":%.2f,\"median_ms\":%.4f,\"reps\":%d}\n",
               label, gflops, med * 1e3, reps);
        fflush(stdout);
    }
    free(a);
    free(b);
    free(c);
    return rc;
}

int main(int argc, char **argv) {
    int sizes[16], nsizes = 0;
    int use[2] = {1, 1};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "openblas") == 0) {
            use[LIB_DNNL] = 0;
        } else if (strcmp(argv[i], "dnnl") == 0) {
            use[LIB_OPENBLAS] = 0;
        } else if (atoi(argv[i]) > 0 && nsizes < 16) {
            sizes[nsizes++] = atoi(argv[i]);
        } else {
            fprintf(stderr, "usage: %s [openblas|dnnl] [size...]\n", argv[0]);
            return 2;
        }
    }
    if (nsizes == 0) {
        const int def[] = {256, 512, 1024, 2048};
        nsizes = 4;
        memcpy(sizes, def, sizeof def);
    }

    openblas_set_num_threads(THREADS);
    int omp = omp_threads(THREADS);
    const dnnl_version_t *v = dnnl_version();
    fprintf(stderr, "openblas: %s | core %s | threads %d\n",
            openblas_get_config(), openblas_get_corename(), openblas_get_num_threads());
    fprintf(stderr, "onednn: %d.%d.%d (%s) | omp max threads %d\n",
            v->major, v->minor, v->patch, v->hash, omp);
    // These variables change OpenBLAS's kernel choice and blocking; record them.
    const char *env[] = {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                         "OMP_NUM_THREADS"};
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
        const char *val = getenv(env[i]);
        fprintf(stderr, "%s%s=%s", i ? " " : "env: ", env[i], val ? val : "(unset)");
    }
    double load[1];
    if (getloadavg(load, 1) == 1) fprintf(stderr, " | load avg %.2f", load[0]);
    fputc('\n', stderr);

    // One library at a time over all sizes: OpenBLAS's pthreads and OpenMP's
    // workers both spin-wait for a while after a call, and interleaving them
    // on 2 cores could let one pool's spinning steal cycles from the other.
    int failed = 0;
    for (int l = 0; l < 2; l++)
        for (int s = 0; s < nsizes && use[l]; s++)
            failed |= bench((lib_t)l, sizes[s]);
    return failed ? 1 : 0;
}
