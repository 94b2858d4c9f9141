// Memory cache, thread team and the per-thread autograd switch.
#include "NeuronKernels.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---------------------------------------------------------------- memory
// Buffers of at least SMALL_LIMIT bytes are rounded up to a size class (four classes per
// power of two) and kept on a free list when released, so a training step that allocates
// the same shapes every iteration stops paying for mmap/munmap and page faults.
enum { SMALL_LIMIT = 16384, CLASSES = 64 * 4 };

typedef struct free_block { struct free_block *next; } free_block;

static free_block *free_lists[CLASSES];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t cached_bytes = 0;
static int64_t cache_limit = (int64_t)2 << 30;
static int64_t live_bytes = 0;
static int64_t allocated_bytes = 0;  // every allocation ever, for telling how much a step allocates

static int size_class(size_t bytes, size_t *rounded) {
    int high = 63 - __builtin_clzll((unsigned long long)bytes);
    size_t step = (size_t)1 << (high - 2);
    size_t quarters = (bytes + step - 1) / step; // 4..8
    *rounded = quarters * step;
    return high * 4 + (int)(quarters - 4);
}

// The bytes of every block in size class `cls` (the inverse of size_class).
static size_t class_size(int cls) {
    int high = cls / 4;
    return (size_t)(4 + cls % 4) << (high - 2);
}

void *nk_alloc(size_t bytes, size_t *capacity) {
    __atomic_add_fetch(&allocated_bytes, (int64_t)bytes, __ATOMIC_RELAXED);
    if (bytes < SMALL_LIMIT) {
        size_t size = bytes < 16 ? 16 : (bytes + 15) & ~(size_t)15;
        *capacity = size;
        __atomic_add_fetch(&live_bytes, (int64_t)size, __ATOMIC_RELAXED);
        return malloc(size);
    }
    size_t rounded;
    int cls = size_class(bytes, &rounded);
    *capacity = rounded;
    __atomic_add_fetch(&live_bytes, (int64_t)rounded, __ATOMIC_RELAXED);
    // The exact class first, then up to twice the size: batches whose shapes vary (text of
    // varying length) reuse cached buffers instead of faulting in fresh pages every step.
    free_block *block = NULL;
    pthread_mutex_lock(&cache_lock);
    for (int c = cls; c < cls + 4 && c < CLASSES && !block; c++) {
        if ((block = free_lists[c])) {
            free_lists[c] = block->next;
            size_t size = class_size(c);
            cached_bytes -= (int64_t)size;
            if (c != cls) {
                __atomic_add_fetch(&live_bytes, (int64_t)(size - rounded), __ATOMIC_RELAXED);
                *capacity = size;
            }
        }
    }
    pthread_mutex_unlock(&cache_lock);
    if (block) return block;
    return aligned_alloc(64, rounded);
}

void nk_free(void *pointer, size_t capacity) {
    if (!pointer) return;
    __atomic_sub_fetch(&live_bytes, (int64_t)capacity, __ATOMIC_RELAXED);
    if (capacity < SMALL_LIMIT) { free(pointer); return; }
    size_t rounded;
    int cls = size_class(capacity, &rounded);
    pthread_mutex_lock(&cache_lock);
    if (cached_bytes + (int64_t)capacity <= cache_limit) {
        free_block *block = pointer;
        block->next = free_lists[cls];
        free_lists[cls] = block;
        cached_bytes += (int64_t)capacity;
        pointer = NULL;
    }
    pthread_mutex_unlock(&cache_lock);
    free(pointer);
}

int64_t nk_live_bytes(void) { return __atomic_load_n(&live_bytes, __ATOMIC_RELAXED); }

int64_t nk_allocated_bytes(void) { return __atomic_load_n(&allocated_bytes, __ATOMIC_RELAXED); }

int64_t nk_cached_bytes(void) {
    pthread_mutex_lock(&cache_lock);
    int64_t bytes = cached_bytes;
    pthread_mutex_unlock(&cache_lock);
    return bytes;
}

void nk_clear_cache(void) {
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CLASSES; i++) {
        free_block *block = free_lists[i];
        while (block) { free_block *next = block->next; free(block); block = next; }
        free_lists[i] = NULL;
    }
    cached_bytes = 0;
    pthread_mutex_unlock(&cache_lock);
}

void nk_set_cache_limit(int64_t bytes) {
    pthread_mutex_lock(&cache_lock);
    cache_limit = bytes;
    pthread_mutex_unlock(&cache_lock);
    if (nk_cached_bytes() > bytes) nk_clear_cache();
}

// ---------------------------------------------------------------- threads
// libgomp's entry points, declared here because the toolchain's clang ships no omp.h for
// it. oneDNN runs on the same team, so the two never compete for the two cores.
extern void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
extern int omp_get_thread_num(void);
extern int omp_get_num_threads(void);
extern int omp_get_max_threads(void);
extern void omp_set_num_threads(int count);

// Per thread, so a data-loading thread can run its kernels single-threaded.
static _Thread_local int thread_count = 0;

void nk_set_num_threads(int count) {
    thread_count = count < 1 ? 1 : count;
    omp_set_num_threads(thread_count);
}

int nk_num_threads(void) {
    if (thread_count == 0) thread_count = omp_get_max_threads();
    return thread_count;
}

typedef struct { nk_range_fn fn; void *context; int64_t n; int level; } range_job;

static _Thread_local int thread_level = -1;

static void run_range_job(void *data) {
    range_job *job = data;
    int caller_level = thread_level;
    thread_level = job->level;
    // Work inside a range stays on this thread: a nested oneDNN call would otherwise split
    // its work for the whole team and spin at barriers no other thread will reach.
    omp_set_num_threads(1);
    int64_t threads = omp_get_num_threads(), me = omp_get_thread_num();
    int64_t begin = job->n * me / threads, end = job->n * (me + 1) / threads;
    if (begin < end) job->fn(job->context, begin, end);
    thread_level = caller_level;
}

void nk_parallel_for(int64_t n, int64_t grain, nk_range_fn fn, void *context) {
    int threads = nk_num_threads();
    if (grain < 1) grain = 1;
    int64_t useful = n / grain;
    if (threads > useful) threads = (int)useful;
    if (threads <= 1) { if (n > 0) fn(context, 0, n); return; }
    range_job job = { fn, context, n, nk_vector_level() };
    GOMP_parallel(run_range_job, &job, (unsigned)threads, 0);
}

// ---------------------------------------------------------------- vector level
static int supported_level = NK_BASELINE, default_level = NK_BASELINE;

extern void nk_limit_dnnl_isa(int level);

// Before main: the level is fixed before any kernel runs, and oneDNN only takes a limit on its
// instruction set before its first primitive.
__attribute__((constructor)) static void detect_vector_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        supported_level = NK_AVX2;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
            __builtin_cpu_supports("avx512cd"))
            supported_level = NK_AVX512;
    }
#endif
    default_level = supported_level;
    const char *asked = getenv("NEURON_CPU_ISA");
    if (!asked || !*asked) return;
    int level = !strcmp(asked, "avx512") ? NK_AVX512
              : !strcmp(asked, "avx2")   ? NK_AVX2
              : !strcmp(asked, "baseline") ? NK_BASELINE : -1;
    if (level < 0) {
        fprintf(stderr, "neuron: NEURON_CPU_ISA=%s is not one of avx512, avx2, baseline; using the widest\n",
                asked);
        return;
    }
    if (level < default_level) {
        default_level = level;
        nk_limit_dnnl_isa(level);
    }
}

int nk_supported_vector_level(void) { return supported_level; }

int nk_vector_level(void) { return thread_level >= 0 ? thread_level : default_level; }

int nk_set_vector_level(int level) {
    int previous = thread_level;
    thread_level = level < 0 ? -1 : level > supported_level ? supported_level : level;
    return previous;
}

// ---------------------------------------------------------------- channel-blocked layouts
// -1: not set on this thread (the process default applies).
static _Thread_local int thread_blocked = -1;
static int default_blocked = 1;

__attribute__((constructor)) static void read_conv_layout(void) {
    const char *asked = getenv("NEURON_CONV_LAYOUT");
    if (!asked || !*asked) return;
    if (!strcmp(asked, "plain")) default_blocked = 0;
    else if (strcmp(asked, "blocked"))
        fprintf(stderr, "neuron: NEURON_CONV_LAYOUT=%s is not one of blocked, plain; using blocked\n", asked);
}

int nk_blocked_layouts(void) { return thread_blocked >= 0 ? thread_blocked : default_blocked; }

int nk_set_blocked_layouts(int enabled) {
    int previous = nk_blocked_layouts();
    thread_blocked = enabled ? 1 : 0;
    return previous;
}

// ---------------------------------------------------------------- step recording
// The recording the CPU backend appends this thread's kernels to (an opaque Swift object), or NULL.
static _Thread_local void *recording = NULL;

void *nk_recording(void) { return recording; }

void *nk_set_recording(void *value) {
    void *previous = recording;
    recording = value;
    return previous;
}

// ---------------------------------------------------------------- autograd switch
static _Thread_local int grad_disabled = 0;

int nk_grad_enabled(void) { return !grad_disabled; }

// autocast's reduced dtype (a DType raw value), or -1: per thread, as PyTorch's.
static _Thread_local int autocast_dtype = -1;

int nk_autocast_dtype(void) { return autocast_dtype; }

int nk_set_autocast_dtype(int dtype) {
    int previous = autocast_dtype;
    autocast_dtype = dtype;
    return previous;
}

int nk_set_grad_enabled(int enabled) {
    int previous = !grad_disabled;
    grad_disabled = !enabled;
    return previous;
}
