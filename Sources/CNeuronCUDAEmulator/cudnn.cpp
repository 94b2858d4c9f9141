// cuDNN 9's legacy convolution API on the host: descriptors, one algorithm per direction, and
// the three convolutions computed directly (grouped, strided, dilated, padded), queued like
// kernels so that graph capture records them.
#include "emulator.h"
#include <cstddef>

namespace {
struct TensorShape {
    int n = 0, c = 0, h = 0, w = 0, type = 0;
};
struct FilterShape {
    int k = 0, c = 0, h = 0, w = 0, type = 0;
};
struct Convolution {
    int ph = 0, pw = 0, sh = 1, sw = 1, dh = 1, dw = 1, groups = 1;
};
struct AlgoPerf {
    int algo, status;
    float time;
    size_t memory;
    int determinism, mathType, reserved[3];
};
constexpr int realDouble = 1;
constexpr size_t workspaceBytes = 1024;

enum class Direction { forward, data, filter };

/// out = alpha·conv + beta·out for one direction, with x [n, c, h, w], w [k, c/groups, r, s] and
/// y [n, k, oh, ow] as in the descriptors.
template <typename T>
void convolve(Direction direction, const TensorShape &xs, const FilterShape &fs, const Convolution &cv, const TensorShape &ys,
              const T *x, const T *w, const T *y, T *out, double alpha, double beta) {
    const int cg = xs.c / cv.groups, kg = fs.k / cv.groups;
    auto xi = [&](int n, int c, int h, int ww) { return ((size_t)(n * xs.c + c) * xs.h + h) * xs.w + ww; };
    auto wi = [&](int k, int c, int r, int s) { return ((size_t)(k * fs.c + c) * fs.h + r) * fs.w + s; };
    auto yi = [&](int n, int k, int h, int ww) { return ((size_t)(n * ys.c + k) * ys.h + h) * ys.w + ww; };
    size_t total = direction == Direction::forward ? (size_t)ys.n * ys.c * ys.h * ys.w
                   : direction == Direction::data  ? (size_t)xs.n * xs.c * xs.h * xs.w
                                                   : (size_t)fs.k * fs.c * fs.h * fs.w;
    for (size_t i = 0; i < total; i++) {
        double acc = 0;
        if (direction == Direction::forward) {
            int ow = i % ys.w, oh = (i / ys.w) % ys.h, k = (i / ((size_t)ys.w * ys.h)) % ys.c, n = i / ((size_t)ys.w * ys.h * ys.c);
            int g = k / kg;
            for (int c = 0; c < cg; c++)
                for (int r = 0; r < fs.h; r++)
                    for (int s = 0; s < fs.w; s++) {
                        int ih = oh * cv.sh - cv.ph + r * cv.dh, iw = ow * cv.sw - cv.pw + s * cv.dw;
                        if (ih < 0 || ih >= xs.h || iw < 0 || iw >= xs.w) continue;
                        acc += (double)x[xi(n, g * cg + c, ih, iw)] * w[wi(k, c, r, s)];
                    }
        } else if (direction == Direction::data) {
            int iw = i % xs.w, ih = (i / xs.w) % xs.h, ch = (i / ((size_t)xs.w * xs.h)) % xs.c, n = i / ((size_t)xs.w * xs.h * xs.c);
            int g = ch / cg, c = ch % cg;
            for (int k = g * kg; k < (g + 1) * kg; k++)
                for (int r = 0; r < fs.h; r++)
                    for (int s = 0; s < fs.w; s++) {
                        int th = ih + cv.ph - r * cv.dh, tw = iw + cv.pw - s * cv.dw;
                        if (th < 0 || tw < 0 || th % cv.sh || tw % cv.sw) continue;
                        int oh = th / cv.sh, ow = tw / cv.sw;
                        if (oh >= ys.h || ow >= ys.w) continue;
                        acc += (double)y[yi(n, k, oh, ow)] * w[wi(k, c, r, s)];
                    }
        } else {
            int s = i % fs.w, r = (i / fs.w) % fs.h, c = (i / ((size_t)fs.w * fs.h)) % fs.c, k = i / ((size_t)fs.w * fs.h * fs.c);
            int g = k / kg;
            for (int n = 0; n < ys.n; n++)
                for (int oh = 0; oh < ys.h; oh++)
                    for (int ow = 0; ow < ys.w; ow++) {
                        int ih = oh * cv.sh - cv.ph + r * cv.dh, iw = ow * cv.sw - cv.pw + s * cv.dw;
                        if (ih < 0 || ih >= xs.h || iw < 0 || iw >= xs.w) continue;
                        acc += (double)y[yi(n, k, oh, ow)] * x[xi(n, g * cg + c, ih, iw)];
                    }
        }
        out[i] = (T)(alpha * acc + (beta == 0 ? 0 : beta * (double)out[i]));
    }
}

int enqueue(Direction direction, const void *alpha, const TensorShape *xs, const FilterShape *fs, const Convolution *cv,
            const TensorShape *ys, const void *x, const void *w, const void *y, void *out, const void *beta, size_t workspace,
            void *space) {
    if (workspace < workspaceBytes || !space) return 3;  // CUDNN_STATUS_BAD_PARAM
    TensorShape xv = *xs, yv = *ys;
    FilterShape fv = *fs;
    Convolution cvv = *cv;
    if (xv.type == realDouble) {
        double a = *(const double *)alpha, b = *(const double *)beta;
        nk_emu::enqueue([=] {
            convolve(direction, xv, fv, cvv, yv, (const double *)x, (const double *)w, (const double *)y, (double *)out, a, b);
        });
    } else {
        double a = *(const float *)alpha, b = *(const float *)beta;
        nk_emu::enqueue([=] {
            convolve(direction, xv, fv, cvv, yv, (const float *)x, (const float *)w, (const float *)y, (float *)out, a, b);
        });
    }
    return 0;
}

int oneAlgorithm(int *returned, AlgoPerf *results) {
    *returned = 1;
    results[0] = AlgoPerf{0, 0, 0.f, workspaceBytes, 1, 3, {0, 0, 0}};
    return 0;
}
}  // namespace

extern "C" {
size_t cudnnGetVersion(void) { return 90100; }
int cudnnCreate(void **handle) {
    *handle = (void *)0x5;
    return 0;
}
int cudnnSetStream(void *, void *) { return 0; }
int cudnnCreateTensorDescriptor(TensorShape **d) {
    *d = new TensorShape();
    return 0;
}
int cudnnSetTensor4dDescriptor(TensorShape *d, int, int type, int n, int c, int h, int w) {
    *d = TensorShape{n, c, h, w, type};
    return 0;
}
int cudnnDestroyTensorDescriptor(TensorShape *d) {
    delete d;
    return 0;
}
int cudnnCreateFilterDescriptor(FilterShape **d) {
    *d = new FilterShape();
    return 0;
}
int cudnnSetFilter4dDescriptor(FilterShape *d, int type, int, int k, int c, int h, int w) {
    *d = FilterShape{k, c, h, w, type};
    return 0;
}
int cudnnDestroyFilterDescriptor(FilterShape *d) {
    delete d;
    return 0;
}
int cudnnCreateConvolutionDescriptor(Convolution **d) {
    *d = new Convolution();
    return 0;
}
int cudnnSetConvolution2dDescriptor(Convolution *d, int ph, int pw, int sh, int sw, int dh, int dw, int, int) {
    d->ph = ph, d->pw = pw, d->sh = sh, d->sw = sw, d->dh = dh, d->dw = dw;
    return 0;
}
int cudnnSetConvolutionGroupCount(Convolution *d, int groups) {
    d->groups = groups;
    return 0;
}
int cudnnSetConvolutionMathType(Convolution *, int) { return 0; }
int cudnnDestroyConvolutionDescriptor(Convolution *d) {
    delete d;
    return 0;
}
int cudnnGetConvolutionForwardAlgorithm_v7(void *, void *, void *, void *, void *, int, int *returned, AlgoPerf *results) {
    return oneAlgorithm(returned, results);
}
int cudnnGetConvolutionBackwardDataAlgorithm_v7(void *, void *, void *, void *, void *, int, int *returned, AlgoPerf *results) {
    return oneAlgorithm(returned, results);
}
int cudnnGetConvolutionBackwardFilterAlgorithm_v7(void *, void *, void *, void *, void *, int, int *returned, AlgoPerf *results) {
    return oneAlgorithm(returned, results);
}
int cudnnGetConvolutionForwardWorkspaceSize(void *, void *, void *, void *, void *, int, size_t *bytes) {
    *bytes = workspaceBytes;
    return 0;
}
int cudnnGetConvolutionBackwardDataWorkspaceSize(void *, void *, void *, void *, void *, int, size_t *bytes) {
    *bytes = workspaceBytes;
    return 0;
}
int cudnnGetConvolutionBackwardFilterWorkspaceSize(void *, void *, void *, void *, void *, int, size_t *bytes) {
    *bytes = workspaceBytes;
    return 0;
}
int cudnnConvolutionForward(void *, const void *alpha, const TensorShape *xd, const void *x, const FilterShape *wd, const void *w,
                            const Convolution *cv, int, void *space, size_t bytes, const void *beta, const TensorShape *yd, void *y) {
    return enqueue(Direction::forward, alpha, xd, wd, cv, yd, x, w, nullptr, y, beta, bytes, space);
}
int cudnnConvolutionBackwardData(void *, const void *alpha, const FilterShape *wd, const void *w, const TensorShape *dyd,
                                 const void *dy, const Convolution *cv, int, void *space, size_t bytes, const void *beta,
                                 const TensorShape *dxd, void *dx) {
    return enqueue(Direction::data, alpha, dxd, wd, cv, dyd, nullptr, w, dy, dx, beta, bytes, space);
}
int cudnnConvolutionBackwardFilter(void *, const void *alpha, const TensorShape *xd, const void *x, const TensorShape *dyd,
                                   const void *dy, const Convolution *cv, int, void *space, size_t bytes, const void *beta,
                                   const FilterShape *dwd, void *dw) {
    return enqueue(Direction::filter, alpha, xd, dwd, cv, dyd, x, nullptr, dy, dw, beta, bytes, space);
}
}
