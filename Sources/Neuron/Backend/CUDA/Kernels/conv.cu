// Convolutions as GEMMs over unfolded patches (im2col), in the layout
// cols[group][c·KH·KW + kh·KW + kw][image][oh·OW + ow] so that each group's product with its
// weights is one GEMM over every image; col2im folds such columns back (the adjoint), each
// input element summing the patches that read it (no atomics, so results are deterministic).
// The epilogue adds a per-channel bias and a residual and clamps (inference's fused conv).

struct nk_conv {
    i64 n, c, h, w;     // input
    i64 oc, oh, ow;     // output
    i64 kh, kw, sh, sw, pt, pl, dh, dw, groups;
};

// One thread per column entry; OUT may be narrower than T (bfloat16 operands for autocast).
template <typename T, typename OUT>
__device__ void im2col(const T* __restrict__ x, OUT* __restrict__ cols, nk_conv g, i64 images) {
    const i64 cg = g.c / g.groups, patch = g.oh * g.ow, k = g.kh * g.kw;
    const i64 total = g.c * k * images * patch;
    NK_GRID_LOOP(t, total) {
        i64 p = t % patch, rest = t / patch;
        i64 image = rest % images;
        rest /= images;
        i64 kk = rest % k, channel = rest / k;  // channel across groups: group·cg + c
        i64 ki = kk / g.kw, kj = kk - ki * g.kw;
        i64 oy = p / g.ow, ox = p - oy * g.ow;
        i64 iy = oy * g.sh - g.pt + ki * g.dh, ix = ox * g.sw - g.pl + kj * g.dw;
        T v = 0;
        if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) v = x[((image * g.c + channel) * g.h + iy) * g.w + ix];
        (void)cg;
        cols[t] = nk_narrow<OUT>(v);
    }
}

// The adjoint: x[image][channel][iy][ix] = Σ over (kh, kw) of the column entries reading it.
template <typename T>
__device__ void col2im(const T* __restrict__ cols, T* __restrict__ x, nk_conv g, i64 images) {
    const i64 patch = g.oh * g.ow, k = g.kh * g.kw;
    const i64 total = images * g.c * g.h * g.w;
    NK_GRID_LOOP(t, total) {
        i64 ix = t % g.w, rest = t / g.w;
        i64 iy = rest % g.h;
        rest /= g.h;
        i64 channel = rest % g.c, image = rest / g.c;
        T acc = 0;
        for (i64 ki = 0; ki < g.kh; ki++) {
            i64 y = iy + g.pt - ki * g.dh;
            if (y < 0 || y % g.sh != 0) continue;
            i64 oy = y / g.sh;
            if (oy >= g.oh) continue;
            for (i64 kj = 0; kj < g.kw; kj++) {
                i64 xx = ix + g.pl - kj * g.dw;
                if (xx < 0 || xx % g.sw != 0) continue;
                i64 ox = xx / g.sw;
                if (ox >= g.ow) continue;
                i64 row = channel * k + ki * g.kw + kj;
                acc += cols[(row * images + image) * patch + oy * g.ow + ox];
            }
        }
        x[t] = acc;
    }
}

// y[i][ch][p] = clamp(y[i][ch][p] + bias[ch] + residual[i][ch][p], lo, hi), in place.
__device__ void conv_epilogue(float* __restrict__ y, const float* __restrict__ bias, const float* __restrict__ residual,
                              i64 n, i64 channels, i64 inner, int clamp, float lo, float hi) {
    NK_GRID_LOOP(t, n * channels * inner) {
        float v = y[t];
        if (bias) v += bias[(t / inner) % channels];
        if (residual) v += residual[t];
        if (clamp) v = fminf(fmaxf(v, lo), hi);
        y[t] = v;
    }
}

extern "C" __global__ void im2col_f32(const float* x, float* cols, nk_conv g, i64 images) { im2col(x, cols, g, images); }
extern "C" __global__ void im2col_f64(const double* x, double* cols, nk_conv g, i64 images) { im2col(x, cols, g, images); }
extern "C" __global__ void im2col_f32_bf16(const float* x, u16* cols, nk_conv g, i64 images) { im2col(x, cols, g, images); }
extern "C" __global__ void col2im_f32(const float* cols, float* x, nk_conv g, i64 images) { col2im(cols, x, g, images); }
extern "C" __global__ void col2im_f64(const double* cols, double* x, nk_conv g, i64 images) { col2im(cols, x, g, images); }
extern "C" __global__ void conv_epilogue_f32(float* y, const float* bias, const float* residual, i64 n, i64 channels,
                                             i64 inner, int clamp, float lo, float hi) {
    conv_epilogue(y, bias, residual, n, channels, inner, clamp, lo, hi);
}
