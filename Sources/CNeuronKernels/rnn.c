// Recurrent layers over a whole sequence: per step one GEMM (h·W_hhᵀ) and one fused pass
// for the gates, forward and backward through time, into buffers allocated once per call.
// PyTorch's gate order: LSTM i, f, g, o; GRU r, z, n. The input projections of every step
// (x·W_ihᵀ + b_ih) come in precomputed as one GEMM.
#include "NeuronKernels.h"
#include "dispatch.h"
#include "fastmath.h"
#include <math.h>
#include <string.h>

// Blocks per projection (G) and per saved gate row (S: LSTM i f g o; GRU r z n and W_hn·h + b_hn).
static int64_t projection_blocks(int kind) { return kind == NK_LSTM ? 4 : kind == NK_GRU ? 3 : 1; }
static int64_t saved_blocks(int kind) { return kind == NK_LSTM || kind == NK_GRU ? 4 : 1; }
static int64_t state_blocks(int kind) { return kind == NK_LSTM ? 2 : 1; }

int64_t nk_rnn_gate_width(int kind) { return saved_blocks(kind); }

typedef struct {
    int kind;
    int64_t h;
    const void *xg, *hg, *h_prev, *c_prev, *gates, *h_out, *c_out;
    const uint8_t *active;
    void *gates_out, *h_next, *c_next, *dh, *dc, *dxg, *dhg, *dh_prev;
} step_job;

typedef struct {
    int kind;
    int64_t steps, n, h;
    const void *xg, *bhh, *h0, *c0, *grad;
    const void *whh;  // backward: W_hh [G, H]; forward: its transpose [H, G]
    const uint8_t *active;
    void *states, *gates, *dxg, *dhg, *dh0, *dc0;
} sequence_job;

typedef struct {
    int64_t steps, n, h, g, per_step;
    const void *h0, *states, *dhg;
    void *h_prevs, *dbhh;
} finish_job;

NK_INLINE float sigmoid_f32(float x) { return nk_sigmoidf(x); }
NK_INLINE float tanh_f32(float x) { return nk_tanhf(x); }
NK_INLINE double sigmoid_f64(double x) { return 1.0 / (1.0 + nk_exp(-x)); }
NK_INLINE double tanh_f64(double x) { return nk_tanh(x); }

#define DEFINE_RNN(SUFFIX, T)                                                                  \
    /* The cell math of one row; each gate block gets its own restrict pointer so that the     \
       loops vectorise without alias checks. */                                                \
    NK_INLINE void lstm_forward_row_##SUFFIX(int64_t h, const T *restrict xi, const T *restrict xf, \
                                          const T *restrict xc, const T *restrict xo, const T *restrict hi,\
                                          const T *restrict hf, const T *restrict hc, const T *restrict ho,\
                                          const T *restrict cp, T *restrict gi, T *restrict gf,\
                                          T *restrict gc, T *restrict go, T *restrict cn, T *restrict hn) {\
        for (int64_t k = 0; k < h; k++) {                                                      \
            T i = sigmoid_##SUFFIX(xi[k] + hi[k]), f = sigmoid_##SUFFIX(xf[k] + hf[k]);        \
            T c = tanh_##SUFFIX(xc[k] + hc[k]), o = sigmoid_##SUFFIX(xo[k] + ho[k]);           \
            T cell = f * cp[k] + i * c;                                                        \
            gi[k] = i, gf[k] = f, gc[k] = c, go[k] = o;                                        \
            cn[k] = cell;                                                                      \
            hn[k] = o * tanh_##SUFFIX(cell);                                                   \
        }                                                                                      \
    }                                                                                          \
    NK_INLINE void gru_forward_row_##SUFFIX(int64_t h, const T *restrict xr, const T *restrict xz, \
                                         const T *restrict xn, const T *restrict hr, const T *restrict hz,\
                                         const T *restrict hnh, const T *restrict hp, T *restrict gr,\
                                         T *restrict gz, T *restrict gn, T *restrict ghn, T *restrict hn) {\
        for (int64_t k = 0; k < h; k++) {                                                      \
            T r = sigmoid_##SUFFIX(xr[k] + hr[k]), z = sigmoid_##SUFFIX(xz[k] + hz[k]);        \
            T n = tanh_##SUFFIX(xn[k] + r * hnh[k]);                                           \
            gr[k] = r, gz[k] = z, gn[k] = n, ghn[k] = hnh[k];                                  \
            hn[k] = (1 - z) * n + z * hp[k];                                                   \
        }                                                                                      \
    }                                                                                          \
    NK_INLINE void lstm_backward_row_##SUFFIX(int64_t h, const T *restrict gi, const T *restrict gf, \
                                           const T *restrict gc, const T *restrict go, const T *restrict cp,\
                                           const T *restrict cn, const T *restrict dh, T *restrict dc,\
                                           T *restrict di, T *restrict df, T *restrict dg, T *restrict dout,\
                                           T *restrict dhp) {                                  \
        for (int64_t k = 0; k < h; k++) {                                                      \
            T i = gi[k], f = gf[k], c = gc[k], o = go[k], tc = tanh_##SUFFIX(cn[k]);           \
            T dcell = dc[k] + dh[k] * o * (1 - tc * tc);                                       \
            di[k] = dcell * c * i * (1 - i);                                                   \
            df[k] = dcell * cp[k] * f * (1 - f);                                               \
            dg[k] = dcell * i * (1 - c * c);                                                   \
            dout[k] = dh[k] * tc * o * (1 - o);                                                \
            dc[k] = dcell * f;                                                                 \
            dhp[k] = 0;                                                                        \
        }                                                                                      \
    }                                                                                          \
    NK_INLINE void gru_backward_row_##SUFFIX(int64_t h, const T *restrict gr, const T *restrict gz, \
                                          const T *restrict gn, const T *restrict ghn, const T *restrict hp,\
                                          const T *restrict dh, T *restrict dxr, T *restrict dxz,\
                                          T *restrict dxn, T *restrict dhr, T *restrict dhz, T *restrict dhn,\
                                          T *restrict dhp) {                                   \
        for (int64_t k = 0; k < h; k++) {                                                      \
            T r = gr[k], z = gz[k], n = gn[k];                                                 \
            T dn = dh[k] * (1 - z) * (1 - n * n);                                              \
            T dz = dh[k] * (hp[k] - n) * z * (1 - z);                                          \
            T dr = dn * ghn[k] * r * (1 - r);                                                  \
            dxr[k] = dhr[k] = dr;                                                              \
            dxz[k] = dhz[k] = dz;                                                              \
            dxn[k] = dn;                                                                       \
            dhn[k] = dn * r;                                                                   \
            dhp[k] = dh[k] * z;                                                                \
        }                                                                                      \
    }                                                                                          \
    /* One step forward for rows [begin, end). */                                              \
    NK_INLINE void forward_rows_##SUFFIX(void *context, int64_t begin, int64_t end) {          \
        const step_job *j = context;                                                           \
        const int64_t h = j->h, g = projection_blocks(j->kind) * h, s = saved_blocks(j->kind) * h; \
        for (int64_t r = begin; r < end; r++) {                                                \
            const T *xg = (const T *)j->xg + r * g, *hg = (const T *)j->hg + r * g;            \
            const T *hp = (const T *)j->h_prev + r * h;                                        \
            T *gates = (T *)j->gates_out + r * s, *hn = (T *)j->h_next + r * h;                \
            if (j->active && !j->active[r]) { /* past the end: carry the state */              \
                memcpy(hn, hp, sizeof(T) * h);                                                 \
                if (j->kind == NK_LSTM) memcpy((T *)j->c_next + r * h, (const T *)j->c_prev + r * h, sizeof(T) * h); \
                memset(gates, 0, sizeof(T) * s);                                               \
                continue;                                                                      \
            }                                                                                  \
            switch (j->kind) {                                                                 \
            case NK_RNN_TANH:                                                                  \
                for (int64_t k = 0; k < h; k++) hn[k] = gates[k] = tanh_##SUFFIX(xg[k] + hg[k]); \
                break;                                                                         \
            case NK_RNN_RELU:                                                                  \
                for (int64_t k = 0; k < h; k++) {                                              \
                    T v = xg[k] + hg[k];                                                       \
                    hn[k] = gates[k] = v > 0 ? v : 0;                                          \
                }                                                                              \
                break;                                                                         \
            case NK_LSTM: {                                                                    \
                const T *cp = (const T *)j->c_prev + r * h;                                    \
                T *cn = (T *)j->c_next + r * h;                                                \
                lstm_forward_row_##SUFFIX(h, xg, xg + h, xg + 2 * h, xg + 3 * h, hg, hg + h, hg + 2 * h, hg + 3 * h,\
                                          cp, gates, gates + h, gates + 2 * h, gates + 3 * h, cn, hn);\
                break;                                                                         \
            }                                                                                  \
            case NK_GRU:                                                                       \
                gru_forward_row_##SUFFIX(h, xg, xg + h, xg + 2 * h, hg, hg + h, hg + 2 * h, hp, gates, gates + h,\
                                         gates + 2 * h, gates + 3 * h, hn);                    \
                break;                                                                         \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    /* One step backward for rows [begin, end): from dh (and dc) of this step's outputs to     \
       the gate pre-activations (dxg, dhg), dc of the previous cell state (in place in dc)     \
       and the part of the previous h's gradient that bypasses W_hh (dh_prev). */              \
    NK_INLINE void backward_rows_##SUFFIX(void *context, int64_t begin, int64_t end) {         \
        const step_job *j = context;                                                           \
        const int64_t h = j->h, g = projection_blocks(j->kind) * h, s = saved_blocks(j->kind) * h; \
        for (int64_t r = begin; r < end; r++) {                                                \
            const T *gates = (const T *)j->gates + r * s, *dh = (const T *)j->dh + r * h;      \
            T *dxg = (T *)j->dxg + r * g, *dhg = (T *)j->dhg + r * g, *dhp = (T *)j->dh_prev + r * h; \
            if (j->active && !j->active[r]) { /* state was carried: so is its gradient */      \
                memcpy(dhp, dh, sizeof(T) * h);                                                \
                memset(dxg, 0, sizeof(T) * g);                                                 \
                if (dhg != dxg) memset(dhg, 0, sizeof(T) * g);                                 \
                continue;                                                                      \
            }                                                                                  \
            switch (j->kind) {                                                                 \
            case NK_RNN_TANH:                                                                  \
                for (int64_t k = 0; k < h; k++) dxg[k] = dh[k] * (1 - gates[k] * gates[k]), dhp[k] = 0; \
                break;                                                                         \
            case NK_RNN_RELU:                                                                  \
                for (int64_t k = 0; k < h; k++) dxg[k] = gates[k] > 0 ? dh[k] : 0, dhp[k] = 0; \
                break;                                                                         \
            case NK_LSTM: {                                                                    \
                const T *cp = (const T *)j->c_prev + r * h, *cn = (const T *)j->c_out + r * h; \
                lstm_backward_row_##SUFFIX(h, gates, gates + h, gates + 2 * h, gates + 3 * h, cp, cn, dh,\
                                           (T *)j->dc + r * h, dxg, dxg + h, dxg + 2 * h, dxg + 3 * h, dhp);\
                break;                                                                         \
            }                                                                                  \
            case NK_GRU:                                                                       \
                gru_backward_row_##SUFFIX(h, gates, gates + h, gates + 2 * h, gates + 3 * h,   \
                                          (const T *)j->h_prev + r * h, dh, dxg, dxg + h, dxg + 2 * h, dhg,\
                                          dhg + h, dhg + 2 * h, dhp);                          \
                break;                                                                         \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    /* Rows are independent through the whole sequence, so each thread runs every step for     \
       its own block of rows with single-threaded GEMMs: one parallel region per pass. */      \
    NK_WIDE_RANGE(forward_block_##SUFFIX) {                                                    \
        const sequence_job *q = context;                                                       \
        const int kind = q->kind;                                                              \
        const int64_t n = q->n, h = q->h, rows = end - begin;                                  \
        const int64_t g = projection_blocks(kind) * h, s = saved_blocks(kind) * h;             \
        const int64_t per_step = state_blocks(kind) * n * h;                                   \
        const T *bhh = q->bhh;                                                                 \
        T *states = q->states;                                                                 \
        size_t capacity;                                                                       \
        T *hg = nk_alloc(sizeof(T) * (size_t)(rows * g), &capacity);                           \
        for (int64_t t = 0; t < q->steps; t++) {                                               \
            const T *h_prev = (t ? states + (t - 1) * per_step : (const T *)q->h0) + begin * h; \
            const T *c_prev = kind != NK_LSTM ? NULL                                           \
                              : t ? states + (t - 1) * per_step + n * h + begin * h : (const T *)q->c0 + begin * h; \
            if (bhh) for (int64_t r = 0; r < rows; r++) memcpy(hg + r * g, bhh, sizeof(T) * g); \
            nk_gemm_##SUFFIX(0, 0, rows, g, h, 1, h_prev, h, q->whh, g, bhh ? 1 : 0, hg, g);   \
            step_job job = { .kind = kind, .h = h, .xg = (const T *)q->xg + (t * n + begin) * g, .hg = hg, \
                             .h_prev = h_prev, .c_prev = c_prev,                               \
                             .active = q->active ? q->active + t * n + begin : NULL,           \
                             .gates_out = (T *)q->gates + (t * n + begin) * s,                 \
                             .h_next = states + t * per_step + begin * h,                      \
                             .c_next = kind == NK_LSTM ? states + t * per_step + n * h + begin * h : NULL }; \
            forward_rows_##SUFFIX(&job, 0, rows);                                              \
        }                                                                                      \
        nk_free(hg, capacity);                                                                 \
    }                                                                                          \
    void nk_rnn_forward_##SUFFIX(int kind, int64_t steps, int64_t n, int64_t h, const T *xg,   \
                                 const T *whh, const T *bhh, const T *h0, const T *c0,         \
                                 const uint8_t *active, T *states, T *gates) {                 \
        /* Every step multiplies by W_hhᵀ: transposed once here, the steps' GEMMs take it      \
           untransposed, which oneDNN runs about 1.5× faster at these shapes. */               \
        const int64_t g = projection_blocks(kind) * h;                                         \
        size_t cap_t;                                                                          \
        T *whh_t = nk_alloc(sizeof(T) * (size_t)(g * h), &cap_t);                              \
        const int64_t shape[2] = { h, g }, from[2] = { 1, h }, to[2] = { g, 1 };               \
        nk_copy(sizeof(T), 2, shape, whh, from, whh_t, to);                                    \
        sequence_job job = { .kind = kind, .steps = steps, .n = n, .h = h, .xg = xg, .whh = whh_t, \
                             .bhh = bhh, .h0 = h0, .c0 = c0, .active = active, .states = states, \
                             .gates = gates };                                                 \
        nk_parallel_for(n, 8, forward_block_##SUFFIX, &job);                                   \
        nk_free(whh_t, cap_t);                                                                 \
    }                                                                                          \
    NK_WIDE_RANGE(backward_block_##SUFFIX) {                                                   \
        const sequence_job *q = context;                                                       \
        const int kind = q->kind;                                                              \
        const int64_t n = q->n, h = q->h, rows = end - begin;                                  \
        const int64_t g = projection_blocks(kind) * h, s = saved_blocks(kind) * h;             \
        const int64_t per_step = state_blocks(kind) * n * h;                                   \
        const T *states = q->states, *grad = q->grad;                                          \
        size_t cap_dh;                                                                         \
        T *dh = nk_alloc(sizeof(T) * (size_t)(rows * h), &cap_dh);                             \
        T *dh_prev = (T *)q->dh0 + begin * h; /* ends as dh0 */                                \
        T *dc = kind == NK_LSTM ? (T *)q->dc0 + begin * h : NULL; /* ends as dc0 */            \
        memset(dh_prev, 0, sizeof(T) * (size_t)(rows * h));                                    \
        if (dc) memset(dc, 0, sizeof(T) * (size_t)(rows * h));                                 \
        for (int64_t t = q->steps - 1; t >= 0; t--) {                                          \
            const T *gh = grad + t * per_step + begin * h;                                     \
            for (int64_t k = 0; k < rows * h; k++) dh[k] = gh[k] + dh_prev[k];                 \
            if (dc)                                                                            \
                for (int64_t k = 0; k < rows * h; k++) dc[k] += gh[n * h + k];                 \
            const T *h_prev = (t ? states + (t - 1) * per_step : (const T *)q->h0) + begin * h; \
            const T *c_prev = kind != NK_LSTM ? NULL                                           \
                              : t ? states + (t - 1) * per_step + n * h + begin * h : (const T *)q->c0 + begin * h; \
            T *dhg_t = (T *)q->dhg + (t * n + begin) * g;                                      \
            step_job job = { .kind = kind, .h = h, .gates = (const T *)q->gates + (t * n + begin) * s, \
                             .h_prev = h_prev, .c_prev = c_prev,                               \
                             .c_out = dc ? states + t * per_step + n * h + begin * h : NULL,   \
                             .active = q->active ? q->active + t * n + begin : NULL, .dh = dh, \
                             .dc = dc, .dxg = (T *)q->dxg + (t * n + begin) * g, .dhg = dhg_t, \
                             .dh_prev = dh_prev };                                             \
            backward_rows_##SUFFIX(&job, 0, rows);                                             \
            nk_gemm_##SUFFIX(0, 0, rows, h, g, 1, dhg_t, g, q->whh, h, 1, dh_prev, h);         \
        }                                                                                      \
        nk_free(dh, cap_dh);                                                                   \
    }                                                                                          \
    /* h_{t−1} of every step as one matrix (h0 first), steps split over threads. */            \
    static void gather_h_prevs_##SUFFIX(void *context, int64_t begin, int64_t end) {           \
        const finish_job *f = context;                                                         \
        const size_t bytes = sizeof(T) * (size_t)(f->n * f->h);                                \
        for (int64_t t = begin; t < end; t++)                                                  \
            memcpy((T *)f->h_prevs + t * f->n * f->h,                                          \
                   t ? (const T *)f->states + (t - 1) * f->per_step : (const T *)f->h0, bytes); \
    }                                                                                          \
    /* db_hh = Σ over every step's rows of dhg, in blocks of 16 columns over threads. */       \
    NK_WIDE_RANGE(bias_grad_##SUFFIX) {                                                        \
        const finish_job *f = context;                                                         \
        const int64_t g = f->g, from = begin * 16, to = end * 16 < g ? end * 16 : g;           \
        const T *dhg = f->dhg;                                                                 \
        T *restrict db = f->dbhh;                                                              \
        for (int64_t k = from; k < to; k++) db[k] = 0;                                         \
        for (int64_t r = 0; r < f->steps * f->n; r++)                                          \
            for (int64_t k = from; k < to; k++) db[k] += dhg[r * g + k];                       \
    }                                                                                          \
    void nk_rnn_backward_##SUFFIX(int kind, int64_t steps, int64_t n, int64_t h, const T *grad, \
                                  const T *whh, const T *h0, const T *c0, const uint8_t *active, \
                                  const T *states, const T *gates, T *dxg, T *dwhh, T *dbhh,   \
                                  T *dh0, T *dc0) {                                            \
        const int64_t g = projection_blocks(kind) * h;                                         \
        const int64_t per_step = state_blocks(kind) * n * h;                                   \
        size_t cap_dhg = 0, cap_hp;                                                            \
        /* Gradients of the hidden projections, all steps (the same as dxg except for GRU). */ \
        T *dhg = kind == NK_GRU ? nk_alloc(sizeof(T) * (size_t)(steps * n * g), &cap_dhg) : dxg; \
        sequence_job job = { .kind = kind, .steps = steps, .n = n, .h = h, .whh = whh, .h0 = h0, \
                             .c0 = c0, .active = active, .states = (T *)states, .gates = (T *)gates, \
                             .grad = grad, .dxg = dxg, .dhg = dhg, .dh0 = dh0, .dc0 = dc0 };   \
        nk_parallel_for(n, 8, backward_block_##SUFFIX, &job);                                  \
        /* dW_hh = Σ_t dhg_tᵀ·h_{t−1}: one GEMM over every step's rows. */                     \
        T *h_prevs = nk_alloc(sizeof(T) * (size_t)(steps * n * h), &cap_hp);                   \
        finish_job fin = { .steps = steps, .n = n, .h = h, .g = g, .per_step = per_step, .h0 = h0, \
                           .states = states, .h_prevs = h_prevs, .dhg = dhg, .dbhh = dbhh };   \
        nk_parallel_for(steps, 4, gather_h_prevs_##SUFFIX, &fin);                              \
        nk_gemm_##SUFFIX(1, 0, g, h, steps * n, 1, dhg, g, h_prevs, h, 0, dwhh, h);            \
        if (dbhh) nk_parallel_for((g + 15) / 16, 1, bias_grad_##SUFFIX, &fin);                 \
        nk_free(h_prevs, cap_hp);                                                              \
        if (kind == NK_GRU) nk_free(dhg, cap_dhg);                                             \
    }

DEFINE_RNN(f32, float)
DEFINE_RNN(f64, double)
