// The gate math of one step of a fused recurrence (rnn.c's rows, one thread per hidden unit
// of a row); the host runs one GEMM per step around it. PyTorch's gate order: LSTM i, f, g, o;
// GRU r, z, n. Saved gates per row: RNN the output; LSTM i f g o; GRU r z n and W_hn·h + b_hn.
// A row whose `active` flag is 0 (past its sequence's end) carries its state unchanged.

enum { NK_RNN_TANH = 0, NK_RNN_RELU = 1, NK_LSTM = 2, NK_GRU = 3 };

__device__ __forceinline__ int nk_projection_blocks(int kind) { return kind == NK_LSTM ? 4 : kind == NK_GRU ? 3 : 1; }
__device__ __forceinline__ int nk_saved_blocks(int kind) { return kind == NK_LSTM || kind == NK_GRU ? 4 : 1; }

// xg: this step's input projections [n, G·h]; hg = h_prev·W_hhᵀ [n, G·h] (bias not added).
template <typename T>
__device__ void rnn_step_forward(int kind, const T* __restrict__ xg, const T* __restrict__ hg, const T* __restrict__ bhh,
                                 const T* __restrict__ h_prev, const T* __restrict__ c_prev, const u8* __restrict__ active,
                                 T* __restrict__ gates, T* __restrict__ h_next, T* __restrict__ c_next, i64 n, i64 h) {
    const i64 g = nk_projection_blocks(kind) * h, s = nk_saved_blocks(kind) * h;
    NK_GRID_LOOP(t, n * h) {
        i64 r = t / h, k = t - r * h;
        const T* x = xg + r * g;
        const T* y = hg + r * g;
        T* saved = gates + r * s;
        if (active && !active[r]) {
            h_next[t] = h_prev[t];
            if (kind == NK_LSTM) c_next[t] = c_prev[t];
            for (int b = 0; b < nk_saved_blocks(kind); b++) saved[b * h + k] = 0;
            continue;
        }
#define NK_PRE(B) (x[(B) * h + k] + y[(B) * h + k] + (bhh ? bhh[(B) * h + k] : (T)0))
        if (kind == NK_RNN_TANH) {
            h_next[t] = saved[k] = tanh(NK_PRE(0));
        } else if (kind == NK_RNN_RELU) {
            T v = NK_PRE(0);
            h_next[t] = saved[k] = v > 0 ? v : (T)0;
        } else if (kind == NK_LSTM) {
            T i = nk_sigmoid(NK_PRE(0)), f = nk_sigmoid(NK_PRE(1)), c = tanh(NK_PRE(2)), o = nk_sigmoid(NK_PRE(3));
            T cell = f * c_prev[t] + i * c;
            saved[k] = i;
            saved[h + k] = f;
            saved[2 * h + k] = c;
            saved[3 * h + k] = o;
            c_next[t] = cell;
            h_next[t] = o * tanh(cell);
        } else {
            T rg = nk_sigmoid(NK_PRE(0)), z = nk_sigmoid(NK_PRE(1));
            T hn = y[2 * h + k] + (bhh ? bhh[2 * h + k] : (T)0);
            T nn = tanh(x[2 * h + k] + rg * hn);
            saved[k] = rg;
            saved[h + k] = z;
            saved[2 * h + k] = nn;
            saved[3 * h + k] = hn;
            h_next[t] = (1 - z) * nn + z * h_prev[t];
        }
#undef NK_PRE
    }
}

// From this step's output gradient (grad: h part, then c part for the LSTM) plus the carried
// dh (in dh_prev, from the next step's GEMM) to the gate gradients dxg (and dhg, distinct for
// the GRU), the carried dc (in place) and the part of dh_prev that bypasses W_hh.
template <typename T>
__device__ void rnn_step_backward(int kind, const T* __restrict__ gates, const T* __restrict__ h_prev,
                                  const T* __restrict__ c_prev, const T* __restrict__ c_out, const u8* __restrict__ active,
                                  const T* __restrict__ grad, T* __restrict__ dh_prev, T* __restrict__ dc, T* dxg, T* dhg,
                                  i64 n, i64 h) {
    const i64 g = nk_projection_blocks(kind) * h, s = nk_saved_blocks(kind) * h;
    NK_GRID_LOOP(t, n * h) {
        i64 r = t / h, k = t - r * h;
        const T dh = grad[t] + dh_prev[t];
        if (kind == NK_LSTM) dc[t] += grad[n * h + t];
        T* dx = dxg + r * g;
        T* dy = dhg + r * g;
        const T* saved = gates + r * s;
        if (active && !active[r]) {
            dh_prev[t] = dh;
            for (int b = 0; b < nk_projection_blocks(kind); b++) {
                dx[b * h + k] = 0;
                if (dhg != dxg) dy[b * h + k] = 0;
            }
            continue;
        }
        if (kind == NK_RNN_TANH) {
            T o = saved[k];
            dx[k] = dh * (1 - o * o);
            dh_prev[t] = 0;
        } else if (kind == NK_RNN_RELU) {
            dx[k] = saved[k] > 0 ? dh : (T)0;
            dh_prev[t] = 0;
        } else if (kind == NK_LSTM) {
            T i = saved[k], f = saved[h + k], c = saved[2 * h + k], o = saved[3 * h + k], tc = tanh(c_out[t]);
            T dcell = dc[t] + dh * o * (1 - tc * tc);
            dx[k] = dcell * c * i * (1 - i);
            dx[h + k] = dcell * c_prev[t] * f * (1 - f);
            dx[2 * h + k] = dcell * i * (1 - c * c);
            dx[3 * h + k] = dh * tc * o * (1 - o);
            dc[t] = dcell * f;
            dh_prev[t] = 0;
        } else {
            T rg = saved[k], z = saved[h + k], nn = saved[2 * h + k], hn = saved[3 * h + k];
            T dn = dh * (1 - z) * (1 - nn * nn);
            T dz = dh * (h_prev[t] - nn) * z * (1 - z);
            T dr = dn * hn * rg * (1 - rg);
            dx[k] = dy[k] = dr;
            dx[h + k] = dy[h + k] = dz;
            dx[2 * h + k] = dn;
            dy[2 * h + k] = dn * rg;
            dh_prev[t] = dh * z;
        }
    }
}

#define NK_RECURRENCE_KERNELS(SUFFIX, T)                                                       \
    extern "C" __global__ void rnn_step_forward_##SUFFIX(int kind, const T* xg, const T* hg, const T* bhh, \
                                                         const T* h_prev, const T* c_prev, const u8* active, \
                                                         T* gates, T* h_next, T* c_next, i64 n, i64 h) { \
        rnn_step_forward(kind, xg, hg, bhh, h_prev, c_prev, active, gates, h_next, c_next, n, h); \
    }                                                                                          \
    extern "C" __global__ void rnn_step_backward_##SUFFIX(int kind, const T* gates, const T* h_prev, \
                                                          const T* c_prev, const T* c_out, const u8* active, \
                                                          const T* grad, T* dh_prev, T* dc, T* dxg, T* dhg, \
                                                          i64 n, i64 h) {                      \
        rnn_step_backward(kind, gates, h_prev, c_prev, c_out, active, grad, dh_prev, dc, dxg, dhg, n, h); \
    }
NK_RECURRENCE_KERNELS(f32, float)
NK_RECURRENCE_KERNELS(f64, double)
