// C kernels behind Neuron's CPU backend: memory, threads, element-wise math, reductions,
// strided copies, indexing and GEMM. Strides and sizes are in elements, not bytes.
#ifndef NEURON_KERNELS_H
#define NEURON_KERNELS_H
#include <stddef.h>
#include <stdint.h>

// ---- Memory: a size-class cache of large buffers; small ones come straight from malloc.
void *nk_alloc(size_t bytes, size_t *capacity);
void nk_free(void *pointer, size_t capacity);
int64_t nk_live_bytes(void);
int64_t nk_allocated_bytes(void);  // the total of every allocation so far
int64_t nk_cached_bytes(void);
void nk_clear_cache(void);
void nk_set_cache_limit(int64_t bytes);

// ---- Threads: work is split over the OpenMP (libgomp) team that oneDNN also uses.
void nk_set_num_threads(int count);
int nk_num_threads(void);
typedef void (*nk_range_fn)(void *context, int64_t begin, int64_t end);
/// Runs fn over [0, n) in contiguous ranges; single-threaded below 2 × grain.
void nk_parallel_for(int64_t n, int64_t grain, nk_range_fn fn, void *context);

// ---- Vector width of the kernels: the widest the CPU runs, or a narrower one asked for with
// NEURON_CPU_ISA (avx512, avx2, baseline) or per thread. Workers of nk_parallel_for take the
// caller's level.
typedef enum { NK_BASELINE = 0, NK_AVX2 = 1, NK_AVX512 = 2 } nk_vector_level_kind;
int nk_supported_vector_level(void);
int nk_vector_level(void);
/// Sets this thread's level (clamped to what the CPU runs; -1 goes back to the process default)
/// and returns the previous setting (-1 when it was the default).
int nk_set_vector_level(int level);

// ---- The CPU step recording this thread's kernels join (opaque to C), per thread.
void *nk_recording(void);
void *nk_set_recording(void *recording); // returns the previous one

// ---- Autograd recording switch, per thread.
int nk_grad_enabled(void);
int nk_set_grad_enabled(int enabled); // returns the previous value
int nk_autocast_dtype(void);           // -1 when autocast is off
int nk_set_autocast_dtype(int dtype);  // returns the previous value

// ---- Element-wise.
typedef enum {
    NK_NEG, NK_EXP, NK_LOG, NK_SQRT, NK_RSQRT, NK_ABS, NK_SIGN, NK_SIGMOID, NK_TANH, NK_RELU,
    NK_LEAKY_RELU, NK_ELU, NK_GELU, NK_GELU_TANH, NK_SILU, NK_SOFTPLUS, NK_ERF, NK_CLAMP,
    NK_STEP, NK_SQUARE, NK_RECIPROCAL, NK_LOG1P, NK_EXPM1, NK_SIN, NK_COS
} nk_unary_op;
/// y = op(x) on contiguous data; p0 and p1 are the op's parameters (slope, alpha, bounds…).
void nk_unary_f32(int op, const float *x, float *y, int64_t n, double p0, double p1);
void nk_unary_f64(int op, const double *x, double *y, int64_t n, double p0, double p1);

/// NK_MASK_POSITIVE: x where y > 0, else 0 (relu's backward in one pass).
/// The CPU only: NK_GELU_GRAD a · GELU′(b); NK_SIGMOID_GRAD a · b · (1 − b) and NK_TANH_GRAD
/// a · (1 − b²) for the activation's output b.
typedef enum {
    NK_ADD, NK_SUB, NK_MUL, NK_DIV, NK_POW, NK_MAXIMUM, NK_MINIMUM, NK_MASK_POSITIVE, NK_GELU_GRAD, NK_SIGMOID_GRAD, NK_TANH_GRAD
} nk_binary_op;
typedef enum { NK_EQ, NK_NE, NK_LT, NK_LE, NK_GT, NK_GE } nk_compare_op;
/// out (contiguous, shape) = a op b where a and b are read through broadcast strides.
void nk_binary_f32(int op, int ndim, const int64_t *shape, const float *a, const int64_t *sa,
                   const float *b, const int64_t *sb, float *out);
void nk_binary_f64(int op, int ndim, const int64_t *shape, const double *a, const int64_t *sa,
                   const double *b, const int64_t *sb, double *out);
void nk_binary_i64(int op, int ndim, const int64_t *shape, const int64_t *a, const int64_t *sa,
                   const int64_t *b, const int64_t *sb, int64_t *out);
void nk_compare_f32(int op, int ndim, const int64_t *shape, const float *a, const int64_t *sa,
                    const float *b, const int64_t *sb, uint8_t *out);
void nk_compare_f64(int op, int ndim, const int64_t *shape, const double *a, const int64_t *sa,
                    const double *b, const int64_t *sb, uint8_t *out);
void nk_compare_i64(int op, int ndim, const int64_t *shape, const int64_t *a, const int64_t *sa,
                    const int64_t *b, const int64_t *sb, uint8_t *out);
void nk_compare_u8(int op, int ndim, const int64_t *shape, const uint8_t *a, const int64_t *sa,
                   const uint8_t *b, const int64_t *sb, uint8_t *out);
/// out = cond ? a : b for elements of `element_size` bytes (1, 4 or 8).
void nk_where(int element_size, int ndim, const int64_t *shape, const uint8_t *cond,
              const int64_t *sc, const void *a, const int64_t *sa, const void *b,
              const int64_t *sb, void *out);

// ---- Copies and casts.
/// dst[view] = src[view] for elements of 1, 4 or 8 bytes, both sides strided.
void nk_copy(int element_size, int ndim, const int64_t *shape, const void *src,
             const int64_t *ssrc, void *dst, const int64_t *sdst);
/// Element types: 0 float32, 1 float64, 2 int64, 3 bool (uint8). Contiguous.
void nk_cast(int from, int to, const void *src, void *dst, int64_t n);
void nk_fill(int element_size, void *dst, int64_t n, const void *value);
/// out[i] = mean + std·√(−2 ln u₁)·cos(2π u₂) with (u₁, u₂) = uniforms[2i], uniforms[2i + 1]:
/// float64 out when is_double, else float32 (rounded from float64).
void nk_normal_from_uniforms(const double *uniforms, void *out, int is_double, int64_t n, double mean, double std);

// ---- Reductions over the middle axis of a contiguous [outer, reduce, inner] block.
void nk_sum_f32(const float *x, float *out, int64_t outer, int64_t reduce, int64_t inner);
void nk_sum_f64(const double *x, double *out, int64_t outer, int64_t reduce, int64_t inner);
void nk_sum_i64(const int64_t *x, int64_t *out, int64_t outer, int64_t reduce, int64_t inner);
/// Max (or min when is_min) with the index of the first extreme; NaN wins, as in PyTorch.
void nk_extreme_f32(const float *x, float *out, int64_t *indices, int64_t outer, int64_t reduce,
                    int64_t inner, int is_min);
void nk_extreme_f64(const double *x, double *out, int64_t *indices, int64_t outer,
                    int64_t reduce, int64_t inner, int is_min);
void nk_extreme_i64(const int64_t *x, int64_t *out, int64_t *indices, int64_t outer,
                    int64_t reduce, int64_t inner, int is_min);

// ---- Indexing over the middle axis of contiguous [outer, axis, inner] blocks.
// Each returns the first out-of-range index found, or -1 when all are valid.
int64_t nk_gather(int element_size, const void *x, const int64_t *index, void *out, int64_t outer,
                  int64_t x_axis, int64_t index_axis, int64_t inner);
int64_t nk_scatter_add_f32(float *out, const int64_t *index, const float *src, int64_t outer,
                           int64_t out_axis, int64_t index_axis, int64_t inner);
int64_t nk_scatter_add_f64(double *out, const int64_t *index, const double *src, int64_t outer,
                           int64_t out_axis, int64_t index_axis, int64_t inner);
int64_t nk_index_select(int element_size, const void *x, const int64_t *index, int64_t count,
                        void *out, int64_t outer, int64_t axis, int64_t inner);
int64_t nk_index_add_f32(float *out, const int64_t *index, int64_t count, const float *src,
                         int64_t outer, int64_t axis, int64_t inner);
int64_t nk_index_add_f64(double *out, const int64_t *index, int64_t count, const double *src,
                         int64_t outer, int64_t axis, int64_t inner);

// ---- GEMM, row-major: C = alpha * op(A) * op(B) + beta * C.
/// Builds oneDNN's GEMM kernels on a thread of its own (once per process); every oneDNN call
/// waits for it first, and so must the program before it exits.
void nk_start_dnnl_warm_up(void);
void nk_wait_for_dnnl_warm_up(void);
void nk_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                 int64_t ldc);
void nk_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                 const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                 double *c, int64_t ldc);
/// Products with m·n·k up to this size use a plain loop instead of oneDNN (call overhead).
void nk_set_small_gemm_limit(int64_t flops);



// ---- Fused optimiser updates (in place, contiguous float32). --------------------------------
/// One tensor of an Adam/AdamW step: n elements, `max_sq` may be NULL (no AMSGrad).
/// `step_size` is lr / (1 − β₁ᵗ) and `correction2_sqrt` √(1 − β₂ᵗ) for the tensor's own step t.
typedef struct {
    float *param, *exp_avg, *exp_avg_sq, *max_sq;
    const float *grad;
    int64_t n;
    double step_size, correction2_sqrt;
} nk_adam_tensor;
/// One Adam/AdamW step of every tensor in one pass, chunks of the tensors' concatenation handed
/// to the threads in turn (so many small tensors cost one parallel region). `decay` is L2
/// (added to the gradient) unless `decoupled`, where the parameter is multiplied by
/// (1 − lr·decay) first.
void nk_adam_many_f32(const nk_adam_tensor *tensors, int64_t count, double lr, double beta1, double beta2,
                      double eps, double decay, int decoupled);

/// One SGD step as PyTorch's: g += decay·p; with momentum, buf = first ? g : momentum·buf +
/// (1 − dampening)·g and g = nesterov ? g + momentum·buf : buf; p −= lr·g. `buf` may be NULL
/// when momentum is 0.
void nk_sgd_f32(float *param, const float *grad, float *buf, int64_t n, double lr, double momentum,
                double dampening, double decay, int nesterov, int first);
void nk_sgd_f64(double *param, const double *grad, double *buf, int64_t n, double lr, double momentum,
                double dampening, double decay, int nesterov, int first);

// ---- Convolution, NCHW: oneDNN direct kernels for float32, else im2col + GEMM. --------------
/// The shapes of one 2-D convolution from x-space [n, c, h, w] to y-space [n, oc, oh, ow] with
/// a weight [oc, c / groups, kh, kw]; padding is given per side (top, left).
typedef struct {
    int64_t n, c, h, w, oc, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, groups;
} nk_conv_geometry;
/// y = conv(x, w)
void nk_conv2d_f32(const nk_conv_geometry *g, const float *x, const float *w, float *y);
void nk_conv2d_f64(const nk_conv_geometry *g, const double *x, const double *w, double *y);
/// x = convᵀ(y, w): the adjoint of conv in x (the transposed convolution); overwrites x.
void nk_conv2d_adjoint_f32(const nk_conv_geometry *g, const float *y, const float *w, float *x);
void nk_conv2d_adjoint_f64(const nk_conv_geometry *g, const double *y, const double *w, double *x);
/// dw = ∂⟨y, conv(x, w)⟩/∂w: the weight gradient for input x and output gradient y; overwrites dw.
void nk_conv2d_weight_grad_f32(const nk_conv_geometry *g, const float *x, const float *y, float *dw);
void nk_conv2d_weight_grad_f64(const nk_conv_geometry *g, const double *x, const double *y, double *dw);
/// The im2col path in two steps (what float64 and the small-channel float32 cases run, and what
/// bench/dnnl_resnet_convs.c times against oneDNN): the columns of x ([groups][k, n·oh·ow],
/// `nk_conv2d_column_count` elements) …
int64_t nk_conv2d_column_count(const nk_conv_geometry *g);
void nk_conv2d_columns_f32(const nk_conv_geometry *g, const float *x, float *columns);
void nk_conv2d_columns_f64(const nk_conv_geometry *g, const double *x, double *columns);
/// … then y = conv(x, w) or dw from them.
void nk_conv2d_from_columns_f32(const nk_conv_geometry *g, const float *columns, const float *w, float *y);
void nk_conv2d_from_columns_f64(const nk_conv_geometry *g, const double *columns, const double *w, double *y);
void nk_conv2d_weight_grad_from_columns_f32(const nk_conv_geometry *g, const float *columns, const float *y, float *dw);
void nk_conv2d_weight_grad_from_columns_f64(const nk_conv_geometry *g, const double *columns, const double *y, double *dw);

/// The same three products through oneDNN (float32): `pass` picks y = conv(a = x, b = w),
/// x = convᵀ(a = y, b = w) or dw = grad(a = x, b = y). Returns 0 when done, nonzero when
/// oneDNN does not support the geometry (the caller then computes it itself).
enum { NK_CONV_FORWARD = 0, NK_CONV_BACKWARD_DATA = 1, NK_CONV_BACKWARD_WEIGHTS = 2 };
int nk_dnnl_conv2d_f32(int pass, const nk_conv_geometry *g, const float *a, const float *b, float *out);

// ---- Channel-blocked activations. --------------------------------------------------------
// oneDNN's convolutions work on activations stored nChw8c or nChw16c ([n][c/B][h·w][B], B = 8
// or 16): channel blocks of B lanes innermost. Stored that way between a convolution, its batch
// norm, its ReLU and the next convolution, they skip a reorder at every call. A block of 0
// means plain NCHW. Only float32, and only channel counts that B divides (no padding).

/// Whether oneDNN runs this pass of a float32 convolution (0) and, if so, the channel block of
/// the layout it works in for x (or dx) and for y (or dy): 8, 16, or 0 for another layout.
int nk_conv2d_blocks_f32(int pass, const nk_conv_geometry *g, int *x_block, int *y_block);
int nk_dnnl_conv2d_blocks(int pass, const nk_conv_geometry *g, int *x_block, int *y_block);
/// One pass through oneDNN with the operands `a` and `out` (and `b`, unless it is the weights)
/// stored channel-blocked by the given blocks (0: plain; weights are plain). Returns 0 when done.
int nk_dnnl_conv2d_blocked_f32(int pass, const nk_conv_geometry *g, const float *a, int a_block, const float *b,
                               int b_block, float *out, int out_block);
/// Copies [n, c, inner] between plain and blocked by `block` (to_blocked: plain → blocked).
void nk_channel_block_f32(const float *from, float *to, int64_t n, int64_t c, int64_t inner, int64_t block,
                          int to_blocked);
/// nk_channel_stats_f32, nk_channel_grad_sums_f32 and nk_channel_affine_f32 on operands stored
/// blocked by `block`.
void nk_blocked_channel_stats_f32(const float *x, int64_t n, int64_t c, int64_t inner, int64_t block, double *mean,
                                  double *variance);
void nk_blocked_channel_grad_sums_f32(const float *gy, const float *x, const double *mean, int64_t n, int64_t c,
                                      int64_t inner, int64_t block, double *sum, double *dot);
void nk_blocked_channel_affine_f32(const float *u, const float *v, float *out, const double *a, const double *b,
                                   const double *d, int64_t n, int64_t c, int64_t inner, int64_t block);
/// Whether this thread's float32 convolutions may store activations blocked (per thread; the
/// default is on unless NEURON_CONV_LAYOUT=plain). nk_set_… returns the previous setting.
int nk_blocked_layouts(void);
int nk_set_blocked_layouts(int enabled);

/// What an inference convolution fuses after the product: a bias [oc], a residual of y's shape,
/// and a clamp to [lo, hi] (hi = infinity: ReLU). `bias` and `residual` are set from the pointers.
typedef struct {
    int bias, residual, clamp;
    float lo, hi;
} nk_conv_fusion;
/// y = clamp(conv(x, w) + bias + residual) (float32; bias and residual may be NULL; the clamp
/// only if f->clamp): one oneDNN call where it can, the separate steps otherwise. `residual`
/// must not be y.
void nk_conv2d_fused_f32(const nk_conv_geometry *g, const nk_conv_fusion *f, const float *x, const float *w,
                         const float *bias, const float *residual, float *y);
int nk_dnnl_conv2d_fused_f32(const nk_conv_geometry *g, const nk_conv_fusion *f, const float *x, const float *w,
                             const float *bias, const float *residual, float *y);

// ---- Layer normalisation over rows of `width` (contiguous). --------------------------------
/// y = (x − mean)·rstd·w + b per row (w, b may be NULL), with each row's mean and rstd = 1/√(var + eps).
void nk_layer_norm_f32(const float *x, const float *w, const float *b, float *y, float *mean, float *rstd,
                       int64_t rows, int64_t width, double eps);
void nk_layer_norm_f64(const double *x, const double *w, const double *b, double *y, double *mean, double *rstd,
                       int64_t rows, int64_t width, double eps);
/// dx for the output gradient g; dw = Σ g·x̂ and db = Σ g over rows unless dw is NULL.
void nk_layer_norm_backward_f32(const float *g, const float *x, const float *w, const float *mean, const float *rstd,
                                float *dx, float *dw, float *db, int64_t rows, int64_t width);
void nk_layer_norm_backward_f64(const double *g, const double *x, const double *w, const double *mean,
                                const double *rstd, double *dx, double *dw, double *db, int64_t rows, int64_t width);

// ---- Batch normalisation over [n, c, inner] (contiguous). ------------------------------------
/// Per-channel mean and biased variance.
void nk_channel_stats_f32(const float *x, int64_t n, int64_t c, int64_t inner, double *mean, double *variance);
void nk_channel_stats_f64(const double *x, int64_t n, int64_t c, int64_t inner, double *mean, double *variance);
/// Per-channel Σ gy and Σ gy·(x − mean).
void nk_channel_grad_sums_f32(const float *gy, const float *x, const double *mean, int64_t n, int64_t c,
                              int64_t inner, double *sum, double *dot);
void nk_channel_grad_sums_f64(const double *gy, const double *x, const double *mean, int64_t n, int64_t c,
                              int64_t inner, double *sum, double *dot);
/// out = a[ch]·u + b[ch]·v + d[ch] (v and b may be NULL).
void nk_channel_affine_f32(const float *u, const float *v, float *out, const double *a, const double *b,
                           const double *d, int64_t n, int64_t c, int64_t inner);
void nk_channel_affine_f64(const double *u, const double *v, double *out, const double *a, const double *b,
                           const double *d, int64_t n, int64_t c, int64_t inner);

// ---- Recurrent layers over whole sequences. -------------------------------------------------
enum { NK_RNN_TANH = 0, NK_RNN_RELU = 1, NK_LSTM = 2, NK_GRU = 3 };
/// Gate values saved per step and row, in units of h: 1 (RNN) or 4 (LSTM i f g o; GRU r z n
/// and W_hn·h + b_hn).
int64_t nk_rnn_gate_width(int kind);
/// Runs `steps` steps over n rows of hidden size h. xg [steps, n, G·h] holds each step's input
/// projection with b_ih (G = 4 LSTM, 3 GRU, 1 RNN); whh [G·h, h]; bhh [G·h] or NULL; h0, c0
/// [n, h] (c0 LSTM only); active [steps, n] or NULL (0: the row's sequence has ended, its state
/// is carried unchanged). Writes states [steps, S, n, h] (S = 2 for LSTM: h then c) and
/// gates [steps, n, width·h].
void nk_rnn_forward_f32(int kind, int64_t steps, int64_t n, int64_t h, const float *xg, const float *whh,
                        const float *bhh, const float *h0, const float *c0, const uint8_t *active,
                        float *states, float *gates);
void nk_rnn_forward_f64(int kind, int64_t steps, int64_t n, int64_t h, const double *xg, const double *whh,
                        const double *bhh, const double *h0, const double *c0, const uint8_t *active,
                        double *states, double *gates);
/// Backward through time from grad [steps, S, n, h] (the gradient of the states): writes
/// dxg [steps, n, G·h], dwhh, dbhh (may be NULL), dh0 and dc0 (LSTM; else may be NULL).
void nk_rnn_backward_f32(int kind, int64_t steps, int64_t n, int64_t h, const float *grad, const float *whh,
                         const float *h0, const float *c0, const uint8_t *active, const float *states,
                         const float *gates, float *dxg, float *dwhh, float *dbhh, float *dh0, float *dc0);
void nk_rnn_backward_f64(int kind, int64_t steps, int64_t n, int64_t h, const double *grad, const double *whh,
                         const double *h0, const double *c0, const uint8_t *active, const double *states,
                         const double *gates, double *dxg, double *dwhh, double *dbhh, double *dh0, double *dc0);

// ---- Pooling over planes [planes, h, w]. ------------------------------------------------------
/// Max over windows (stride, padding, dilation); index = position in the input plane (h·w).
void nk_max_pool_f32(const float *x, float *y, int64_t *indices, int64_t planes, int64_t h, int64_t w,
                     int64_t oh, int64_t ow, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                     int64_t pw, int64_t dh, int64_t dw);
void nk_max_pool_f64(const double *x, double *y, int64_t *indices, int64_t planes, int64_t h, int64_t w,
                     int64_t oh, int64_t ow, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                     int64_t pw, int64_t dh, int64_t dw);
/// Averages over separable windows: output (i, j) covers rows [hs[i], he[i]) and columns
/// [ws[j], we[j]) of the input, divided by hdiv[i]·wdiv[j]. `backward` spreads y over x instead
/// (x must be zeroed by the caller).
void nk_window_average_f32(const float *x, float *y, int64_t planes, int64_t h, int64_t w, int64_t oh,
                           int64_t ow, const int64_t *hs, const int64_t *he, const int64_t *ws,
                           const int64_t *we, const double *hdiv, const double *wdiv, int backward);
void nk_window_average_f64(const double *x, double *y, int64_t planes, int64_t h, int64_t w, int64_t oh,
                           int64_t ow, const int64_t *hs, const int64_t *he, const int64_t *ws,
                           const int64_t *we, const double *hdiv, const double *wdiv, int backward);
#endif
