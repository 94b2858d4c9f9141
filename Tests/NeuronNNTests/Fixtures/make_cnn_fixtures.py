"""Reference values from PyTorch for Neuron's convolution, pooling, upsampling
and normalisation layers.

Run from the repository root:

    .venv/bin/python Tests/NeuronNNTests/Fixtures/make_cnn_fixtures.py

Writes Tests/NeuronNNTests/Fixtures/cnn.safetensors (safetensors.torch.save_file,
a single metadata key "generator", so the bytes are identical run to run) and
Tests/NeuronNNTests/Fixtures/cnn_cases.md (this docstring).

Conventions
-----------
* torch.set_num_threads(1); torch.manual_seed(0) once at the start; cases are
  generated in the order listed below.  Within a case the random draws happen
  in this order: the module is constructed (PyTorch's default initialisation
  draws from the global RNG), then any explicitly set parameters / buffers (in
  the order written), then `.x`, then `.g`.
* Tensor names are `<case>.<role>`.  Every float tensor is float64 (modules are
  built with dtype=torch.float64); every integer tensor (`.indices`,
  `.num_batches_tracked`) is int64.  Scalars are 0-dim tensors (shape []).
* nn = torch.nn, F = torch.nn.functional.  Shapes in brackets, NCHW / NCL.
* "randn" = torch.randn, "rand" = torch.rand (float64).
* Roles: `.x` input (randn), `.out` = module(x), `.g` a randn tensor of out's
  shape, and the gradients of (out * g).sum(): `.grad_x`, `.grad_weight`,
  `.grad_bias` (the latter two only where the module has that parameter).
  The module's state_dict entries are stored under their state_dict names
  (`.weight`, `.bias`, `.running_mean`, `.running_var`) as they were BEFORE the
  forward pass.  Pools built with return_indices=True also store `.indices`.
  Training-mode batch norms also store `.running_mean_after`,
  `.running_var_after` and `.num_batches_tracked` (the value after the forward).
* Default initialisation (what the stored weights were drawn from):
  Conv*d / ConvTranspose*d: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  (kaiming_uniform_ with a = sqrt(5)), fan_in = weight.size(1) * prod(kernel).
  NB for ConvTranspose the weight is [in, out/groups, *k], so PyTorch's
  "fan_in" there is out/groups * prod(kernel).  Norm layers: weight = 1,
  bias = 0, running_mean = 0, running_var = 1 unless set explicitly below.

1. Convolutions
---------------
Weight layout: Conv: [out, in/groups, *k]; ConvTranspose: [in, out/groups, *k].
Output size (per spatial dim): conv: floor((L + 2p - d(k-1) - 1) / s) + 1;
transposed: (L - 1) s - 2p + d(k-1) + output_padding + 1.

- conv2d_basic: nn.Conv2d(3, 4, 3); weight[4,3,3,3], bias[4]; x[2,3,6,6];
  out[2,4,4,4]; g, grad_x, grad_weight, grad_bias
- conv2d_stride_pad: nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 2));
  weight[4,3,3,2], bias[4]; x[2,3,7,6]; out[2,4,4,9]
  (W: padding 2 with a kernel width of 2, so output columns 0 and 8 cover
   only padding: out[..., 0] and out[..., 8] equal the bias (asserted))
- conv2d_dilation: nn.Conv2d(2, 3, 3, dilation=2, padding=1); weight[3,2,3,3],
  bias[3]; x[2,2,7,7]; out[2,3,5,5]
- conv2d_groups: nn.Conv2d(4, 6, 3, groups=2, padding=1, bias=False);
  weight[6,2,3,3] (no .bias, no .grad_bias); x[2,4,5,5]; out[2,6,5,5]
  (output channels 0-2 read input channels 0-1, 3-5 read 2-3)
- conv2d_depthwise: nn.Conv2d(3, 3, 3, groups=3, padding='same');
  weight[3,1,3,3], bias[3]; x[2,3,5,5]; out[2,3,5,5] (padding 1 on every side)
- conv2d_same_even: nn.Conv2d(2, 2, 4, padding='same'); weight[2,2,4,4],
  bias[2]; x[1,2,6,6]; out[1,2,6,6].
  PyTorch pads ASYMMETRICALLY: total padding d(k-1) = 3 per dim, split as
  left/top = 3 // 2 = 1 and right/bottom = 3 - 1 = 2 (the extra row/column
  goes at the end), i.e. out == F.conv2d(F.pad(x, (1, 2, 1, 2)), weight, bias)
  (asserted to 1e-12 when generating).
- conv1d: nn.Conv1d(3, 4, 3, stride=2, padding=1); weight[4,3,3], bias[4];
  x[2,3,9]; out[2,4,5]
- conv1d_dilation_groups: nn.Conv1d(4, 2, 2, dilation=3, groups=2);
  weight[2,2,2], bias[2]; x[2,4,10]; out[2,2,7]
  (output channel 0 reads input channels 0-1, channel 1 reads 2-3)
- convt2d_basic: nn.ConvTranspose2d(3, 2, 3); weight[3,2,3,3], bias[2];
  x[2,3,4,4]; out[2,2,6,6]
- convt2d_stride: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1,
  output_padding=1); weight[2,3,3,3], bias[3]; x[2,2,4,4]; out[2,3,8,8]
  (out = the full transposed conv, (4-1)*2 + 3 = 9 per dim, cropped by 1 at
   the start; output_padding=1 keeps the last row/column: 9 - 1 - 1 + 1 = 8)
- convt2d_groups: nn.ConvTranspose2d(4, 2, (2, 3), stride=(2, 1), groups=2,
  bias=False); weight[4,1,2,3] (no .bias); x[2,4,3,3]; out[2,2,6,5]
  (input channels 0-1 -> output channel 0, 2-3 -> output channel 1)

2. Pooling
----------
No parameters.  Max pools are built with return_indices=True and called as
`out, indices = module(x)`; `.indices` (int64, out's shape) is the flat index
of the maximum within its own (n, c) input plane: h * W + w for 2-d, l for
1-d (padding positions never win: they count as -inf).  Windows overlap in
maxpool2d_stride_pad and maxpool1d, so grad_x accumulates where one input is
the maximum of two windows.  No ties (continuous random input).

- maxpool2d: nn.MaxPool2d(2, return_indices=True); x[2,3,6,6]; out[2,3,3,3],
  indices[2,3,3,3]; g, grad_x
- maxpool2d_stride_pad: nn.MaxPool2d(3, stride=2, padding=1,
  return_indices=True); x[2,2,7,7]; out[2,2,4,4], indices[2,2,4,4]; g, grad_x
- maxpool1d: nn.MaxPool1d(3, stride=2, return_indices=True); x[2,3,9];
  out[2,3,4], indices[2,3,4]; g, grad_x
- avgpool2d: nn.AvgPool2d(2); x[2,3,6,6]; out[2,3,3,3]; g, grad_x
- avgpool2d_pad: nn.AvgPool2d(3, stride=2, padding=1) (count_include_pad=True,
  the default); x[2,2,7,7]; out[2,2,4,4]: every window is divided by 9, zeros
  of the padding included (corner windows hold 4 real values, edge windows 6)
- avgpool2d_pad_exclude: nn.AvgPool2d(3, stride=2, padding=1,
  count_include_pad=False); x[2,2,7,7]; out[2,2,4,4]: each window divided by
  the number of real (non-padding) elements it covers: 4 at the corners, 6 on
  the edges, 9 inside
- adaptive_avgpool: nn.AdaptiveAvgPool2d(1); x[2,3,5,5]; out[2,3,1,1]
- adaptive_avgpool_3: nn.AdaptiveAvgPool2d((3, 2)); x[2,2,7,5]; out[2,2,3,2].
  Bins (per dim, input size L, output size S): bin i covers
  [floor(i L / S), ceil((i + 1) L / S)) -- neighbouring bins may OVERLAP:
  rows (L=7, S=3): [0,3), [2,5), [4,7)   (rows 2 and 4 are in two bins)
  cols (L=5, S=2): [0,3), [2,5)          (col 2 is in both bins)
  Each output is the plain mean of its bin (3 x 3 = 9 values here), and
  grad_x accumulates from every bin an input belongs to.  (Asserted.)

3. Upsampling
-------------
No parameters; g and grad_x as usual.

- upsample_nearest: nn.Upsample(scale_factor=2, mode='nearest'); x[2,2,3,3];
  out[2,2,6,6]; out[..., i, j] = x[..., floor(i / 2), floor(j / 2)]
  (mode 'nearest', not 'nearest-exact': src = floor(dst * in / out))
- upsample_bilinear: nn.Upsample(scale_factor=2, mode='bilinear',
  align_corners=False); x[2,2,3,4]; out[2,2,6,8].
  Per dim: src = max(0, (dst + 0.5) / 2 - 0.5); i0 = floor(src),
  i1 = min(i0 + 1, in - 1), t = src - i0; out = (1-t) x[i0] + t x[i1]
  (separably in H and W).  (Asserted.)  With a scale_factor given (and
  recompute_scale_factor unset) PyTorch uses 1/scale_factor as the ratio, not
  in/out; here they coincide.
- upsample_bilinear_ac: nn.Upsample(size=(5, 7), mode='bilinear',
  align_corners=True); x[1,2,3,4]; out[1,2,5,7].
  Per dim: src = dst * (in - 1) / (out - 1) (H: dst * 2/4, W: dst * 3/6),
  then the same i0 / i1 / t interpolation.  (Asserted.)

4. Normalisation
----------------
eps = 1e-5 everywhere (the default).  The forward normalises with the BIASED
variance (divide by n); the running_var update uses the UNBIASED variance
(divide by n - 1):
    running_mean_after = (1 - momentum) * running_mean + momentum * mean
    running_var_after  = (1 - momentum) * running_var  + momentum * var * n / (n - 1)
with n = the number of elements per channel (N for [N,C], N*L for [N,C,L],
N*H*W for [N,C,H,W]); num_batches_tracked goes from 0 to 1 (it is not used
when momentum is a number).  (All asserted.)

- batchnorm2d_train: bn = nn.BatchNorm2d(3) (momentum=0.1), train mode; then,
  under torch.no_grad(), in this order: bn.weight = 1 + 0.1 * randn(3),
  bn.bias = 0.1 * randn(3), bn.running_mean = 0.1 * randn(3),
  bn.running_var = 1 + rand(3).  Stored: weight[3], bias[3],
  running_mean[3], running_var[3] (before the forward); x[4,3,3,3] (n = 36);
  out[4,3,3,3]; running_mean_after[3], running_var_after[3],
  num_batches_tracked[] = 1; g, grad_x, grad_weight[3], grad_bias[3].
  (out does not depend on the running stats in train mode.)
- batchnorm2d_eval: the SAME module, after the batchnorm2d_train case,
  switched with bn.eval(); a new x[4,3,3,3].  Stored: weight, bias,
  running_mean, running_var (= batchnorm2d_train's *_after values),
  num_batches_tracked[] = 1 (unchanged; eval mode updates nothing);
  out = (x - running_mean) / sqrt(running_var + eps) * weight + bias
  (per channel); g, grad_x, grad_weight, grad_bias.
- batchnorm1d_train: nn.BatchNorm1d(4, momentum=0.2), train mode, default
  weight = 1, bias = 0, running_mean = 0, running_var = 1; x[5,4] (n = 5);
  out[5,4]; running_mean_after[4], running_var_after[4],
  num_batches_tracked[] = 1; g, grad_x, grad_weight[4], grad_bias[4]
- batchnorm1d_3d: nn.BatchNorm1d(3) (momentum=0.1), train mode, defaults as
  above; x[4,3,5] (statistics over dims 0 and 2, n = 20); out[4,3,5];
  running_mean_after[3], running_var_after[3], num_batches_tracked[] = 1;
  g, grad_x, grad_weight[3], grad_bias[3]
- layernorm: ln = nn.LayerNorm([3, 4]); then, under torch.no_grad(),
  ln.weight = 1 + 0.5 * randn(3, 4), ln.bias = 0.5 * randn(3, 4); stored
  weight[3,4], bias[3,4]; x[2,5,3,4] (normalised over the last two dims,
  biased variance, per (n, t) row of 12 values); out[2,5,3,4]; g, grad_x,
  grad_weight[3,4], grad_bias[3,4]
- layernorm_noaffine: nn.LayerNorm(4, elementwise_affine=False) (no weight,
  no bias); x[3,4]; out[3,4]; g, grad_x
- groupnorm: gn = nn.GroupNorm(2, 4); then, under torch.no_grad(),
  gn.weight = 1 + 0.5 * randn(4), gn.bias = 0.5 * randn(4); stored weight[4],
  bias[4]; x[2,4,3,3] (statistics per (sample, group) over channels
  {0,1} / {2,3} and all of H, W: 18 values, biased variance; the affine
  weight/bias are per CHANNEL); out[2,4,3,3]; g, grad_x, grad_weight[4],
  grad_bias[4]
"""

import math
import os
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
F64 = torch.float64
I64 = torch.int64

tensors = {}


def put(case, role, t):
    name = f"{case}.{role}"
    assert name not in tensors, name
    if not isinstance(t, torch.Tensor):
        t = torch.tensor(t, dtype=F64)
    tensors[name] = t.detach().clone().contiguous()


def randn(*shape):
    return torch.randn(*shape, dtype=F64)


def rand(*shape):
    return torch.rand(*shape, dtype=F64)


def close(a, b, tol=1e-12):
    assert a.shape == b.shape, (a.shape, b.shape)
    assert torch.allclose(a, b, rtol=tol, atol=tol), (a - b).abs().max()


def layer_case(name, module, x, train_stats=False):
    """Stores the state dict (before), x, out, g and the gradients of (out * g).sum().

    train_stats: a training-mode batch norm; num_batches_tracked is stored after
    the forward, together with running_mean_after / running_var_after."""
    params = dict(module.named_parameters())
    for k, v in module.state_dict().items():
        if train_stats and k == "num_batches_tracked":
            continue
        put(name, k, v)
    x = x.clone().requires_grad_()
    put(name, "x", x)
    result = module(x)
    if isinstance(result, tuple):
        out, indices = result
        assert indices.dtype == I64
        put(name, "indices", indices)
    else:
        out = result
    put(name, "out", out)
    if train_stats:
        put(name, "running_mean_after", module.running_mean)
        put(name, "running_var_after", module.running_var)
        put(name, "num_batches_tracked", module.num_batches_tracked)
    g = randn(*out.shape)
    put(name, "g", g)
    names, wrt = ["grad_x"], [x]
    for k in ("weight", "bias"):
        if k in params:
            names.append(f"grad_{k}")
            wrt.append(params[k])
    grads = torch.autograd.grad((out * g).sum(), wrt)
    for n, gr in zip(names, grads):
        put(name, n, gr)
    return out.detach()


def T(name, role):
    return tensors[f"{name}.{role}"]


# ---------------------------------------------------------------------------
# 1. Convolutions
# ---------------------------------------------------------------------------

def convolutions():
    out = layer_case("conv2d_basic", nn.Conv2d(3, 4, 3, dtype=F64), randn(2, 3, 6, 6))
    assert out.shape == (2, 4, 4, 4)
    out = layer_case("conv2d_stride_pad",
                     nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 2), dtype=F64),
                     randn(2, 3, 7, 6))
    assert out.shape == (2, 4, 4, 9)
    b = T("conv2d_stride_pad", "bias").view(1, 4, 1)
    close(out[..., 0], b.expand(2, 4, 4), 0)
    close(out[..., 8], b.expand(2, 4, 4), 0)
    out = layer_case("conv2d_dilation", nn.Conv2d(2, 3, 3, dilation=2, padding=1, dtype=F64),
                     randn(2, 2, 7, 7))
    assert out.shape == (2, 3, 5, 5)
    out = layer_case("conv2d_groups", nn.Conv2d(4, 6, 3, groups=2, padding=1, bias=False, dtype=F64),
                     randn(2, 4, 5, 5))
    assert out.shape == (2, 6, 5, 5) and "conv2d_groups.bias" not in tensors
    out = layer_case("conv2d_depthwise", nn.Conv2d(3, 3, 3, groups=3, padding="same", dtype=F64),
                     randn(2, 3, 5, 5))
    assert out.shape == (2, 3, 5, 5)
    close(out, F.conv2d(T("conv2d_depthwise", "x"), T("conv2d_depthwise", "weight"),
                        T("conv2d_depthwise", "bias"), padding=1, groups=3))

    out = layer_case("conv2d_same_even", nn.Conv2d(2, 2, 4, padding="same", dtype=F64),
                     randn(1, 2, 6, 6))
    assert out.shape == (1, 2, 6, 6)
    x, w, b = T("conv2d_same_even", "x"), T("conv2d_same_even", "weight"), T("conv2d_same_even", "bias")
    # Extra row/column of padding at the end (bottom/right), not at the start.
    close(out, F.conv2d(F.pad(x, (1, 2, 1, 2)), w, b))
    assert not torch.allclose(out, F.conv2d(F.pad(x, (2, 1, 2, 1)), w, b))

    out = layer_case("conv1d", nn.Conv1d(3, 4, 3, stride=2, padding=1, dtype=F64), randn(2, 3, 9))
    assert out.shape == (2, 4, 5)
    out = layer_case("conv1d_dilation_groups", nn.Conv1d(4, 2, 2, dilation=3, groups=2, dtype=F64),
                     randn(2, 4, 10))
    assert out.shape == (2, 2, 7)

    out = layer_case("convt2d_basic", nn.ConvTranspose2d(3, 2, 3, dtype=F64), randn(2, 3, 4, 4))
    assert out.shape == (2, 2, 6, 6) and T("convt2d_basic", "weight").shape == (3, 2, 3, 3)
    out = layer_case("convt2d_stride",
                     nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1, dtype=F64),
                     randn(2, 2, 4, 4))
    assert out.shape == (2, 3, 8, 8)
    # = the full (padding 0) transposed conv cropped by 1 at the start, none at the end.
    x, w, b = T("convt2d_stride", "x"), T("convt2d_stride", "weight"), T("convt2d_stride", "bias")
    full = F.conv_transpose2d(x, w, b, stride=2)
    assert full.shape == (2, 3, 9, 9)
    close(out, full[:, :, 1:, 1:])
    out = layer_case("convt2d_groups",
                     nn.ConvTranspose2d(4, 2, (2, 3), stride=(2, 1), groups=2, bias=False, dtype=F64),
                     randn(2, 4, 3, 3))
    assert out.shape == (2, 2, 6, 5) and T("convt2d_groups", "weight").shape == (4, 1, 2, 3)


# ---------------------------------------------------------------------------
# 2. Pooling
# ---------------------------------------------------------------------------

def adaptive_bins(L, S):
    return [(math.floor(i * L / S), math.ceil((i + 1) * L / S)) for i in range(S)]


def pooling():
    out = layer_case("maxpool2d", nn.MaxPool2d(2, return_indices=True), randn(2, 3, 6, 6))
    assert out.shape == (2, 3, 3, 3)
    out = layer_case("maxpool2d_stride_pad", nn.MaxPool2d(3, stride=2, padding=1, return_indices=True),
                     randn(2, 2, 7, 7))
    assert out.shape == (2, 2, 4, 4)
    out = layer_case("maxpool1d", nn.MaxPool1d(3, stride=2, return_indices=True), randn(2, 3, 9))
    assert out.shape == (2, 3, 4)
    for name in ("maxpool2d", "maxpool2d_stride_pad", "maxpool1d"):
        x, idx, o = T(name, "x"), T(name, "indices"), T(name, "out")
        close(x.flatten(2).gather(2, idx.flatten(2)).view_as(o), o, 0)

    out = layer_case("avgpool2d", nn.AvgPool2d(2), randn(2, 3, 6, 6))
    assert out.shape == (2, 3, 3, 3)
    out = layer_case("avgpool2d_pad", nn.AvgPool2d(3, stride=2, padding=1), randn(2, 2, 7, 7))
    assert out.shape == (2, 2, 4, 4)
    x = T("avgpool2d_pad", "x")
    close(out, F.avg_pool2d(F.pad(x, (1, 1, 1, 1)), 3, stride=2))
    out = layer_case("avgpool2d_pad_exclude", nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
                     randn(2, 2, 7, 7))
    x = T("avgpool2d_pad_exclude", "x")
    counts = F.avg_pool2d(F.pad(torch.ones(1, 1, 7, 7, dtype=F64), (1, 1, 1, 1)), 3, stride=2) * 9
    assert counts[0, 0, 0, 0] == 4 and counts[0, 0, 0, 1] == 6 and counts[0, 0, 1, 1] == 9
    close(out, F.avg_pool2d(F.pad(x, (1, 1, 1, 1)), 3, stride=2) * 9 / counts)

    out = layer_case("adaptive_avgpool", nn.AdaptiveAvgPool2d(1), randn(2, 3, 5, 5))
    assert out.shape == (2, 3, 1, 1)
    out = layer_case("adaptive_avgpool_3", nn.AdaptiveAvgPool2d((3, 2)), randn(2, 2, 7, 5))
    assert out.shape == (2, 2, 3, 2)
    rows, cols = adaptive_bins(7, 3), adaptive_bins(5, 2)
    assert rows == [(0, 3), (2, 5), (4, 7)] and cols == [(0, 3), (2, 5)], (rows, cols)
    x = T("adaptive_avgpool_3", "x")
    ref = torch.stack([torch.stack([x[:, :, r0:r1, c0:c1].mean((2, 3)) for c0, c1 in cols], -1)
                       for r0, r1 in rows], -2)
    close(out, ref)


# ---------------------------------------------------------------------------
# 3. Upsampling
# ---------------------------------------------------------------------------

def lerp_matrix(n_in, n_out, align_corners, scale=None):
    """[n_out, n_in] matrix M with out = M @ in along one dim (bilinear, per dim)."""
    m = torch.zeros(n_out, n_in, dtype=F64)
    for d in range(n_out):
        if align_corners:
            src = d * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            src = max(0.0, (d + 0.5) / scale - 0.5)
        i0 = math.floor(src)
        i1 = min(i0 + 1, n_in - 1)
        t = src - i0
        m[d, i0] += 1 - t
        m[d, i1] += t
    return m


def upsampling():
    out = layer_case("upsample_nearest", nn.Upsample(scale_factor=2, mode="nearest"), randn(2, 2, 3, 3))
    assert out.shape == (2, 2, 6, 6)
    x = T("upsample_nearest", "x")
    close(out, x.repeat_interleave(2, 2).repeat_interleave(2, 3), 0)

    out = layer_case("upsample_bilinear", nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                     randn(2, 2, 3, 4))
    assert out.shape == (2, 2, 6, 8)
    x = T("upsample_bilinear", "x")
    mh, mw = lerp_matrix(3, 6, False, 2.0), lerp_matrix(4, 8, False, 2.0)
    close(out, mh @ x @ mw.T)

    out = layer_case("upsample_bilinear_ac", nn.Upsample(size=(5, 7), mode="bilinear", align_corners=True),
                     randn(1, 2, 3, 4))
    assert out.shape == (1, 2, 5, 7)
    x = T("upsample_bilinear_ac", "x")
    mh, mw = lerp_matrix(3, 5, True), lerp_matrix(4, 7, True)
    close(out, mh @ x @ mw.T)


# ---------------------------------------------------------------------------
# 4. Normalisation
# ---------------------------------------------------------------------------

def check_bn_train(name, momentum, dims):
    x = T(name, "x")
    n = x.numel() // x.shape[1]
    mean = x.mean(dims)
    var_b = x.var(dims, unbiased=False)
    shape = [1, -1] + [1] * (x.dim() - 2)
    ref = (x - mean.view(shape)) / torch.sqrt(var_b.view(shape) + 1e-5) * T(name, "weight").view(shape) \
        + T(name, "bias").view(shape)
    close(T(name, "out"), ref)
    close(T(name, "running_mean_after"), (1 - momentum) * T(name, "running_mean") + momentum * mean)
    close(T(name, "running_var_after"),
          (1 - momentum) * T(name, "running_var") + momentum * var_b * n / (n - 1))
    assert T(name, "num_batches_tracked").dtype == I64 and int(T(name, "num_batches_tracked")) == 1
    assert T(name, "num_batches_tracked").shape == ()


def normalisation():
    bn = nn.BatchNorm2d(3, dtype=F64)
    bn.train()
    with torch.no_grad():
        bn.weight.copy_(1 + 0.1 * randn(3))
        bn.bias.copy_(0.1 * randn(3))
        bn.running_mean.copy_(0.1 * randn(3))
        bn.running_var.copy_(1 + rand(3))
    layer_case("batchnorm2d_train", bn, randn(4, 3, 3, 3), train_stats=True)
    check_bn_train("batchnorm2d_train", 0.1, (0, 2, 3))

    bn.eval()
    out = layer_case("batchnorm2d_eval", bn, randn(4, 3, 3, 3))
    close(T("batchnorm2d_eval", "running_mean"), T("batchnorm2d_train", "running_mean_after"), 0)
    close(T("batchnorm2d_eval", "running_var"), T("batchnorm2d_train", "running_var_after"), 0)
    assert int(T("batchnorm2d_eval", "num_batches_tracked")) == 1
    assert T("batchnorm2d_eval", "num_batches_tracked").dtype == I64
    close(bn.running_mean, T("batchnorm2d_eval", "running_mean"), 0)   # eval: no update
    assert int(bn.num_batches_tracked) == 1
    v = lambda t: t.view(1, -1, 1, 1)
    x = T("batchnorm2d_eval", "x")
    close(out, (x - v(bn.running_mean)) / torch.sqrt(v(bn.running_var) + 1e-5) * v(bn.weight) + v(bn.bias))

    bn = nn.BatchNorm1d(4, momentum=0.2, dtype=F64)
    layer_case("batchnorm1d_train", bn, randn(5, 4), train_stats=True)
    check_bn_train("batchnorm1d_train", 0.2, (0,))

    bn = nn.BatchNorm1d(3, dtype=F64)
    out = layer_case("batchnorm1d_3d", bn, randn(4, 3, 5), train_stats=True)
    assert out.shape == (4, 3, 5)
    check_bn_train("batchnorm1d_3d", 0.1, (0, 2))

    ln = nn.LayerNorm([3, 4], dtype=F64)
    with torch.no_grad():
        ln.weight.copy_(1 + 0.5 * randn(3, 4))
        ln.bias.copy_(0.5 * randn(3, 4))
    out = layer_case("layernorm", ln, randn(2, 5, 3, 4))
    x = T("layernorm", "x")
    ref = (x - x.mean((2, 3), keepdim=True)) / torch.sqrt(x.var((2, 3), unbiased=False, keepdim=True) + 1e-5)
    close(out, ref * T("layernorm", "weight") + T("layernorm", "bias"))

    out = layer_case("layernorm_noaffine", nn.LayerNorm(4, elementwise_affine=False, dtype=F64), randn(3, 4))
    assert "layernorm_noaffine.weight" not in tensors and "layernorm_noaffine.bias" not in tensors

    gn = nn.GroupNorm(2, 4, dtype=F64)
    with torch.no_grad():
        gn.weight.copy_(1 + 0.5 * randn(4))
        gn.bias.copy_(0.5 * randn(4))
    out = layer_case("groupnorm", gn, randn(2, 4, 3, 3))
    x = T("groupnorm", "x").view(2, 2, 18)
    ref = ((x - x.mean(2, keepdim=True)) / torch.sqrt(x.var(2, unbiased=False, keepdim=True) + 1e-5)).view(2, 4, 3, 3)
    close(out, ref * T("groupnorm", "weight").view(1, 4, 1, 1) + T("groupnorm", "bias").view(1, 4, 1, 1))


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    warnings.simplefilter("ignore")   # padding='same' with an even kernel warns once

    convolutions()
    pooling()
    upsampling()
    normalisation()

    for name, t in tensors.items():
        assert t.dtype in (F64, I64), (name, t.dtype)

    out_path = os.path.join(HERE, "cnn.safetensors")
    # A single metadata key: safetensors serialises the metadata map in hash
    # order, so several keys would make the file bytes differ run to run.
    save_file(tensors, out_path,
              metadata={"generator": f"make_cnn_fixtures.py (torch {torch.__version__})"})
    os.chmod(out_path, 0o644)
    with open(os.path.join(HERE, "cnn_cases.md"), "w") as f:
        f.write("# Neuron CNN fixtures (`cnn.safetensors`)\n\n")
        f.write("Generated by `make_cnn_fixtures.py`; this file is its docstring.\n\n")
        f.write("```text\n" + __doc__.strip("\n") + "\n```\n")
    cases = sorted({n.split(".")[0] for n in tensors})
    print(f"wrote {out_path}: {len(cases)} cases, {len(tensors)} tensors, "
          f"{os.path.getsize(out_path)} bytes")


if __name__ == "__main__":
    main()
