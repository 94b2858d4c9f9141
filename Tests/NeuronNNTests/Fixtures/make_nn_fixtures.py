"""Reference values from PyTorch for Neuron's NN layers, losses, optimisers and
learning-rate schedulers.

Run from the repository root:

    .venv/bin/python Tests/NeuronNNTests/Fixtures/make_nn_fixtures.py

Writes Tests/NeuronNNTests/Fixtures/nn.safetensors (safetensors.torch.save_file,
a single metadata key "generator", so the bytes are identical run to run) and
Tests/NeuronNNTests/Fixtures/nn_cases.md (this docstring).

Conventions
-----------
* torch.set_num_threads(1); torch.manual_seed(0) once at the start; cases are
  generated in the order listed below (layers are constructed, and so
  initialised from the global RNG, at the point they are listed).
* Tensor names are `<case>.<role>`.  Every float tensor is float64; every
  integer tensor (class indices, embedding indices) is int64.  Scalars are
  0-dim tensors (shape []).
* F = torch.nn.functional, nn = torch.nn.  Shapes in brackets.
* "randn" = torch.randn, "rand" = torch.rand, "pos" = torch.rand(...) + 0.5
  (strictly positive).
* For every layer case and every reduction='none' loss case, `.g` is a randn
  tensor of out's shape and the gradients are those of (out * g).sum().
  For scalar (mean / sum / batchmean) losses the gradients are of the loss
  itself.

1. Layers (float64 modules: nn.X(..., dtype=torch.float64))
-----------------------------------------------------------
Weights are the module's freshly initialised state_dict entries, stored under
`.weight` and `.bias`.  Roles: `.x` input, `.out` = module(x), `.g`,
`.grad_x`, `.grad_weight`, `.grad_bias`.

- linear: nn.Linear(4, 3); weight[3,4], bias[3]; x[5,4] randn; out[5,3];
  g[5,3]; grad_x[5,4], grad_weight[3,4], grad_bias[3]
- linear_nobias: nn.Linear(4, 3, bias=False); weight[3,4] (no .bias); x[2,4]
  randn; out[2,3]; g[2,3]; grad_x[2,4], grad_weight[3,4] (no .grad_bias)
- embedding: nn.Embedding(6, 3); weight[6,3]; index[2,4] int64 in [0,6) with
  repeats (index[1,2] = index[0,0]); out[2,4,3] = module(index); g[2,4,3];
  grad_weight[6,3] only (rows accumulate over repeated indices; rows of unused
  indices are 0)
- embedding_pad: nn.Embedding(6, 3, padding_idx=1); weight[6,3] (row 1 is all
  zeros, as PyTorch initialises it); index[2,4] int64 in [0,6) with
  index[0,1] = index[1,3] = 1 and index[1,2] = index[0,0]; out[2,4,3];
  g[2,4,3]; grad_weight[6,3] (row 1 stays zero: padding_idx gets no gradient)
- flatten: nn.Flatten() (start_dim=1, end_dim=-1); x[2,3,2,2] randn;
  out[2,12]; g[2,12]; grad_x[2,3,2,2]
- flatten_1_2: nn.Flatten(1, 2); x[2,3,2,2] randn; out[2,6,2]; g[2,6,2];
  grad_x[2,3,2,2]
- softmax_layer: nn.Softmax(dim=1); x[3,4] randn; out[3,4]; g[3,4]; grad_x[3,4]
- log_softmax_layer: nn.LogSoftmax(dim=1); x[3,4] randn; out[3,4]; g[3,4];
  grad_x[3,4]

2. Losses (float64)
-------------------
Roles: `.x` input (the differentiated argument), `.y` target, `.w` weight,
`.pw` pos_weight, `.out` loss, `.g` (reduction='none' only), `.grad_x`.
Reduction is 'mean' unless stated.

- mse_mean: x[3,4] randn, y[3,4] randn; out[] = F.mse_loss(x, y, reduction='mean')
- mse_sum: x[3,4] randn, y[3,4] randn; out[] = F.mse_loss(x, y, reduction='sum')
- mse_none: x[3,4] randn, y[3,4] randn; out[3,4] = F.mse_loss(x, y, reduction='none');
  g[3,4]; grad_x = d (out * g).sum() / dx
- l1_mean: x[3,4] randn, y[3,4] randn; out[] = F.l1_loss(x, y)
- smooth_l1_beta: x[3,4] = randn * 0.5, y[3,4] = randn * 0.5 (some |x-y| < 0.5,
  some > 0.5, asserted); out[] = F.smooth_l1_loss(x, y, beta=0.5)
- huber_delta: x[3,4] = randn * 0.7, y[3,4] = randn * 0.7 (some |x-y| < 0.7,
  some > 0.7, asserted); out[] = F.huber_loss(x, y, delta=0.7)
- ce_index: x[4,5] randn logits, y[4] int64 in [0,5); out[] = F.cross_entropy(x, y)
- ce_weight_ignore: x[6,5] randn, y[6] int64 with y[1] = y[4] = 2 and the
  other four entries in {0,1,3,4}; w[5] pos;
  out[] = F.cross_entropy(x, y, weight=w, ignore_index=2)
  (mean = sum_i w[y_i] * nll_i / sum_i w[y_i] over the non-ignored i; rows 1
  and 4 of grad_x are zero)
- ce_smoothing: x[4,5] randn, y[4] int64; out[] = F.cross_entropy(x, y, label_smoothing=0.1)
- ce_smoothing_weight: x[4,5] randn, y[4] int64, w[5] pos;
  out[] = F.cross_entropy(x, y, weight=w, label_smoothing=0.2)
  (PyTorch: (1-eps) * [sum_i w[y_i] nll_i / sum_i w[y_i]]
            + eps * [sum_i sum_c w[c] * (-logp_ic) / C] / sum_i w[y_i],  eps = 0.2, C = 5)
- ce_prob: x[4,5] randn, y[4,5] = torch.softmax(randn[4,5], dim=1) (class
  probabilities, float64); out[] = F.cross_entropy(x, y)
- ce_prob_smoothing_weight: x[4,5] randn, y[4,5] = softmax(randn[4,5], dim=1),
  w[5] pos; out[] = F.cross_entropy(x, y, weight=w, label_smoothing=0.1)
  (PyTorch: t = y * (1-eps) + eps / C; loss_i = -sum_c w[c] t_ic logp_ic;
   mean divides by N = 4, NOT by a sum of weights)
- ce_sum: x[4,5] randn, y[4] int64; out[] = F.cross_entropy(x, y, reduction='sum')
- ce_none: x[4,5] randn, y[4] int64; out[4] = F.cross_entropy(x, y, reduction='none');
  g[4]; grad_x = d (out * g).sum() / dx
- ce_4d: x[2,3,2,2] randn (classes on dim 1), y[2,2,2] int64 in [0,3);
  out[] = F.cross_entropy(x, y)   (mean over the 8 positions)
- nll_mean: x[4,5] = F.log_softmax(randn[4,5], 1) (detached, then the leaf),
  y[4] int64 in [0,5); out[] = F.nll_loss(x, y)
- nll_weight: x[4,5] = F.log_softmax(randn[4,5], 1) (detached), y[4] int64
  with y[2] = 0 and the others in [1,5); w[5] pos;
  out[] = F.nll_loss(x, y, weight=w, ignore_index=0)
- bce_mean: x[3,4] = torch.sigmoid(randn[3,4]) (detached, then the leaf),
  y[3,4] rand; out[] = F.binary_cross_entropy(x, y)
- bce_weight: x[3,4] = sigmoid(randn), y[3,4] rand, w[3,4] pos;
  out[] = F.binary_cross_entropy(x, y, weight=w)
- bce_none: x[3,4] = sigmoid(randn), y[3,4] rand;
  out[3,4] = F.binary_cross_entropy(x, y, reduction='none'); g[3,4]
- bcelogits_mean: x[3,4] = randn * 3, y[3,4] rand;
  out[] = F.binary_cross_entropy_with_logits(x, y)
- bcelogits_posweight: x[3,4] = randn * 3, y[3,4] rand, w[3,4] pos, pw[4] pos;
  out[] = F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw)
  (loss_ij = -w_ij [pw_j y_ij log sigmoid(x_ij) + (1 - y_ij) log(1 - sigmoid(x_ij))])
- bcelogits_sum: x[3,4] = randn * 3, y[3,4] rand;
  out[] = F.binary_cross_entropy_with_logits(x, y, reduction='sum')
- kl_batchmean: x[3,4] = F.log_softmax(randn[3,4], 1), y[3,4] = F.softmax(randn[3,4], 1);
  out[] = F.kl_div(x, y, reduction='batchmean')   (sum / 3)
- kl_mean: same construction; out[] = F.kl_div(x, y, reduction='mean')   (sum / 12)
- kl_sum_logtarget: x[3,4] = log_softmax(randn[3,4], 1), y[3,4] = log_softmax(randn[3,4], 1);
  out[] = F.kl_div(x, y, reduction='sum', log_target=True)
  (pointwise exp(y) * (y - x))
- kl_zero_target: x[3,4] = log_softmax(randn[3,4], 1); y = softmax(randn[3,4], 1)
  then y[0,1] = 0.0 exactly and y = y / y.sum(1, keepdim=True);
  out[] = F.kl_div(x, y, reduction='batchmean')
  (PyTorch uses xlogy: the 0 entry contributes 0 to the loss and 0 to grad_x)

3. Optimiser trajectories (float64, torch.optim, foreach=False)
---------------------------------------------------------------
Shared problem, stored once:
  opt.w0[3,2] randn, opt.b0[2] randn, opt.X[4,3] randn, opt.Y[4,2] randn
  (generated in the order w0, b0, X, Y).
Each case starts from w = opt.w0.clone(), b = opt.b0.clone() (leaf tensors,
requires_grad) and runs, for t = 0..9:
    optimizer.zero_grad()
    loss = ((X @ w + b - Y) ** 2).mean()
    loss.backward()
    optimizer.step()
    scheduler.step()          # only where a scheduler is named
Stored: `<case>.loss`[10] (loss[t] = loss computed in step t, i.e. before the
update), `<case>.w`[10,3,2] and `<case>.b`[10,2] (row t = parameters after the
(t+1)-th optimizer.step()).  Scheduled cases also store `<case>.lr`[10]
(param_groups[0]['lr'] read just before optimizer.step() of step t).
Parameters are passed as [w, b] unless stated.

- sgd: SGD(lr=0.1)
- sgd_momentum: SGD(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)
  (PyTorch: on the first step the buffer is set to the gradient, without the
   (1 - dampening) factor; afterwards buf = 0.9 buf + 0.9 * grad)
- sgd_nesterov: SGD(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.001)
- adam: Adam(lr=0.01)
- adam_wd_amsgrad: Adam(lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, amsgrad=True)
- adamw: AdamW(lr=0.01, weight_decay=0.05)
- rmsprop: RMSprop(lr=0.01)   (alpha=0.99, eps=1e-8, eps added after sqrt)
- rmsprop_centered_momentum: RMSprop(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01)
- adagrad: Adagrad(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)
  (clr = lr / (1 + (step - 1) * lr_decay), eps=1e-10 added after sqrt)
- groups: SGD([{'params': [w]}, {'params': [b], 'lr': 0.01, 'weight_decay': 0.1}],
  lr=0.1, momentum=0.9)
- sgd_steplr: SGD(lr=0.1, momentum=0.9) + StepLR(optimizer, step_size=3, gamma=0.5); lr[10]
- adam_cosine: Adam(lr=0.05) + CosineAnnealingLR(optimizer, T_max=10, eta_min=0.001); lr[10]

4. LR schedules (no training; float64 `.lr`[25])
------------------------------------------------
A dummy parameter p = torch.zeros(1, float64, requires_grad=True) and
optimizer = SGD([p], lr=0.1) unless stated.  For t = 0..24:
    lr[t] = optimizer.param_groups[0]['lr']      # the lr used at step t
    optimizer.step()                              # p has no grad: a no-op
    scheduler.step()                              # scheduler.step(metric[t]) for plateau
The scheduler is constructed (which applies its epoch-0 value) before t = 0,
so lr[0] is the value after construction.

- step: StepLR(optimizer, step_size=5, gamma=0.3)
- multistep: MultiStepLR(optimizer, milestones=[3, 8, 15], gamma=0.5)
- exponential: ExponentialLR(optimizer, gamma=0.9)
- cosine: CosineAnnealingLR(optimizer, T_max=10, eta_min=0.01)   (runs past
  T_max: PyTorch's recursive form continues the cosine with period 2*T_max,
  i.e. lr[t] = eta_min + (0.1 - eta_min) * (1 + cos(pi * t / 10)) / 2 for all t,
  rising again after t = 10)
- onecycle: optimizer = SGD([p], lr=0.1, momentum=0.9);
  OneCycleLR(optimizer, max_lr=1.0, total_steps=25) (pct_start=0.3,
  anneal_strategy='cos', div_factor=25.0, final_div_factor=1e4,
  three_phase=False, cycle_momentum=True, base_momentum=0.85,
  max_momentum=0.95); also onecycle.momentum[25] =
  optimizer.param_groups[0]['momentum'] read alongside lr.
- onecycle_linear: optimizer = SGD([p], lr=0.1, momentum=0.9);
  OneCycleLR(optimizer, max_lr=0.5, total_steps=25, pct_start=0.4,
  anneal_strategy='linear', three_phase=True) (other arguments default);
  also onecycle_linear.momentum[25].
- warmup_cosine: SequentialLR(optimizer, schedulers=[
      LinearLR(optimizer, start_factor=0.1, end_factor=1.0, total_iters=5),
      CosineAnnealingLR(optimizer, T_max=20, eta_min=0.0)], milestones=[5])
  (both inner schedulers constructed on the same optimizer, in that order,
   before SequentialLR; at t = 5 PyTorch restarts the cosine at its epoch 0,
   so lr[5] = 0.1 and lr[5 + k] = 0.05 * (1 + cos(pi * k / 20)))
- plateau: ReduceLROnPlateau(optimizer, mode='min', factor=0.5, patience=2,
  threshold=1e-4, cooldown=1, min_lr=0.01) (threshold_mode='rel', eps=1e-8);
  plateau.metric[25]: levels [1.0, 0.8, 0.6, 0.4, 0.3] (t = 0..4), then
  0.3 * (1 + n_t) (t = 5..11), then [0.25, 0.2, 0.15, 0.1] (t = 12..15), then
  0.1 * (1 + n_t) (t = 16..24), n_t = noise[t] with noise = (rand(25) - 0.5)
  * 1e-4 drawn once (|n_t| < 5e-5, below the relative threshold, so the flat
  stretches never count as improvements); lr[t] read before
  scheduler.step(metric[t]).  Resulting reductions: lr 0.1 -> 0.05 at t = 8,
  -> 0.025 at t = 12, -> 0.0125 at t = 19, -> 0.01 (min_lr clamp) at t = 23.
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


def pos(*shape):
    return torch.rand(*shape, dtype=F64) + 0.5


# ---------------------------------------------------------------------------
# 1. Layers
# ---------------------------------------------------------------------------

def layer_case(name, module, x, stores_x=True):
    """x: float input (gets grad_x) or int64 index (no grad_x)."""
    params = dict(module.named_parameters())
    for k, v in module.state_dict().items():
        put(name, k, v)
    if x.is_floating_point():
        x = x.clone().requires_grad_()
    put(name, "index" if not x.is_floating_point() else "x", x)
    out = module(x)
    g = randn(*out.shape)
    put(name, "out", out)
    put(name, "g", g)
    wrt_names, wrt = [], []
    if x.is_floating_point():
        wrt_names.append("grad_x"); wrt.append(x)
    for k in ("weight", "bias"):
        if k in params:
            wrt_names.append(f"grad_{k}"); wrt.append(params[k])
    if wrt:
        grads = torch.autograd.grad((out * g).sum(), wrt)
        for n, gr in zip(wrt_names, grads):
            put(name, n, gr)
    return out


def layers():
    layer_case("linear", nn.Linear(4, 3, dtype=F64), randn(5, 4))
    layer_case("linear_nobias", nn.Linear(4, 3, bias=False, dtype=F64), randn(2, 4))

    emb = nn.Embedding(6, 3, dtype=F64)
    index = torch.randint(0, 6, (2, 4), dtype=I64)
    index[1, 2] = index[0, 0]
    out = layer_case("embedding", emb, index)
    assert out.shape == (2, 4, 3)

    emb = nn.Embedding(6, 3, padding_idx=1, dtype=F64)
    assert torch.all(emb.weight[1] == 0)
    index = torch.randint(0, 6, (2, 4), dtype=I64)
    index[0, 1] = 1
    index[1, 3] = 1
    index[1, 2] = index[0, 0]
    layer_case("embedding_pad", emb, index)
    assert torch.all(tensors["embedding_pad.grad_weight"][1] == 0)

    out = layer_case("flatten", nn.Flatten(), randn(2, 3, 2, 2))
    assert out.shape == (2, 12)
    out = layer_case("flatten_1_2", nn.Flatten(1, 2), randn(2, 3, 2, 2))
    assert out.shape == (2, 6, 2)
    layer_case("softmax_layer", nn.Softmax(dim=1), randn(3, 4))
    layer_case("log_softmax_layer", nn.LogSoftmax(dim=1), randn(3, 4))


# ---------------------------------------------------------------------------
# 2. Losses
# ---------------------------------------------------------------------------

def loss_case(name, fn, x, y, **extra):
    """fn(x, y, **extra) -> loss; extra tensors stored under their own roles."""
    x = x.detach().clone().requires_grad_()
    put(name, "x", x)
    put(name, "y", y)
    for role, t in extra.items():
        put(name, role, t)
    out = fn(x, y, **extra)
    put(name, "out", out)
    if out.dim() == 0:
        target = out
    else:
        g = randn(*out.shape)
        put(name, "g", g)
        target = (out * g).sum()
    (gx,) = torch.autograd.grad(target, (x,))
    put(name, "grad_x", gx)
    return out, gx


def losses():
    for red in ("mean", "sum", "none"):
        loss_case(f"mse_{red}", lambda x, y, r=red: F.mse_loss(x, y, reduction=r),
                  randn(3, 4), randn(3, 4))
    loss_case("l1_mean", lambda x, y: F.l1_loss(x, y), randn(3, 4), randn(3, 4))

    x, y = randn(3, 4) * 0.5, randn(3, 4) * 0.5
    d = (x - y).abs()
    assert (d < 0.5).any() and (d > 0.5).any()
    loss_case("smooth_l1_beta", lambda x, y: F.smooth_l1_loss(x, y, beta=0.5), x, y)

    x, y = randn(3, 4) * 0.7, randn(3, 4) * 0.7
    d = (x - y).abs()
    assert (d < 0.7).any() and (d > 0.7).any()
    loss_case("huber_delta", lambda x, y: F.huber_loss(x, y, delta=0.7), x, y)

    loss_case("ce_index", lambda x, y: F.cross_entropy(x, y),
              randn(4, 5), torch.randint(0, 5, (4,), dtype=I64))

    x = randn(6, 5)
    y = torch.tensor([0, 1, 3, 4], dtype=I64)[torch.randint(0, 4, (6,))]
    y[1] = 2
    y[4] = 2
    _, gx = loss_case("ce_weight_ignore",
                      lambda x, y, w: F.cross_entropy(x, y, weight=w, ignore_index=2),
                      x, y, w=pos(5))
    assert int((y == 2).sum()) == 2 and torch.all(gx[1] == 0) and torch.all(gx[4] == 0)

    loss_case("ce_smoothing", lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1),
              randn(4, 5), torch.randint(0, 5, (4,), dtype=I64))

    x, y, w = randn(4, 5), torch.randint(0, 5, (4,), dtype=I64), pos(5)
    out, _ = loss_case("ce_smoothing_weight",
                       lambda x, y, w: F.cross_entropy(x, y, weight=w, label_smoothing=0.2),
                       x, y, w=w)
    # Check the documented formula.
    lp, eps = torch.log_softmax(x, 1), 0.2
    ws = w[y].sum()
    ref = (1 - eps) * (-(lp.gather(1, y[:, None])[:, 0]) * w[y]).sum() / ws \
        + eps * (-(lp * w).sum() / 5) / ws
    assert torch.allclose(out, ref, rtol=1e-12, atol=0), (out, ref)

    loss_case("ce_prob", lambda x, y: F.cross_entropy(x, y),
              randn(4, 5), torch.softmax(randn(4, 5), dim=1))

    x, y, w = randn(4, 5), torch.softmax(randn(4, 5), dim=1), pos(5)
    out, _ = loss_case("ce_prob_smoothing_weight",
                       lambda x, y, w: F.cross_entropy(x, y, weight=w, label_smoothing=0.1),
                       x, y, w=w)
    t = y * 0.9 + 0.1 / 5
    ref = (-(w * t * torch.log_softmax(x, 1)).sum(1)).sum() / 4
    assert torch.allclose(out, ref, rtol=1e-12, atol=0), (out, ref)

    loss_case("ce_sum", lambda x, y: F.cross_entropy(x, y, reduction="sum"),
              randn(4, 5), torch.randint(0, 5, (4,), dtype=I64))
    loss_case("ce_none", lambda x, y: F.cross_entropy(x, y, reduction="none"),
              randn(4, 5), torch.randint(0, 5, (4,), dtype=I64))
    loss_case("ce_4d", lambda x, y: F.cross_entropy(x, y),
              randn(2, 3, 2, 2), torch.randint(0, 3, (2, 2, 2), dtype=I64))

    loss_case("nll_mean", lambda x, y: F.nll_loss(x, y),
              F.log_softmax(randn(4, 5), 1), torch.randint(0, 5, (4,), dtype=I64))
    x = F.log_softmax(randn(4, 5), 1)
    y = torch.randint(1, 5, (4,), dtype=I64)
    y[2] = 0
    loss_case("nll_weight", lambda x, y, w: F.nll_loss(x, y, weight=w, ignore_index=0),
              x, y, w=pos(5))

    loss_case("bce_mean", lambda x, y: F.binary_cross_entropy(x, y),
              torch.sigmoid(randn(3, 4)), rand(3, 4))
    loss_case("bce_weight", lambda x, y, w: F.binary_cross_entropy(x, y, weight=w),
              torch.sigmoid(randn(3, 4)), rand(3, 4), w=pos(3, 4))
    loss_case("bce_none", lambda x, y: F.binary_cross_entropy(x, y, reduction="none"),
              torch.sigmoid(randn(3, 4)), rand(3, 4))

    loss_case("bcelogits_mean", lambda x, y: F.binary_cross_entropy_with_logits(x, y),
              randn(3, 4) * 3, rand(3, 4))
    x, y, w, pw = randn(3, 4) * 3, rand(3, 4), pos(3, 4), pos(4)
    out, _ = loss_case(
        "bcelogits_posweight",
        lambda x, y, w, pw: F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw),
        x, y, w=w, pw=pw)
    ref = (-w * (pw * y * F.logsigmoid(x) + (1 - y) * F.logsigmoid(-x))).mean()
    assert torch.allclose(out, ref, rtol=1e-12, atol=0), (out, ref)
    loss_case("bcelogits_sum",
              lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="sum"),
              randn(3, 4) * 3, rand(3, 4))

    loss_case("kl_batchmean", lambda x, y: F.kl_div(x, y, reduction="batchmean"),
              F.log_softmax(randn(3, 4), 1), F.softmax(randn(3, 4), 1))
    loss_case("kl_mean", lambda x, y: F.kl_div(x, y, reduction="mean"),
              F.log_softmax(randn(3, 4), 1), F.softmax(randn(3, 4), 1))
    loss_case("kl_sum_logtarget",
              lambda x, y: F.kl_div(x, y, reduction="sum", log_target=True),
              F.log_softmax(randn(3, 4), 1), F.log_softmax(randn(3, 4), 1))
    x = F.log_softmax(randn(3, 4), 1)
    y = F.softmax(randn(3, 4), 1)
    y[0, 1] = 0.0
    y = y / y.sum(1, keepdim=True)
    assert y[0, 1] == 0.0
    out, gx = loss_case("kl_zero_target", lambda x, y: F.kl_div(x, y, reduction="batchmean"),
                        x, y)
    assert torch.isfinite(out) and gx[0, 1] == 0.0


# ---------------------------------------------------------------------------
# 3. Optimiser trajectories
# ---------------------------------------------------------------------------

def optimisers():
    w0, b0 = randn(3, 2), randn(2)
    X, Y = randn(4, 3), randn(4, 2)
    put("opt", "w0", w0); put("opt", "b0", b0); put("opt", "X", X); put("opt", "Y", Y)

    O = torch.optim
    S = torch.optim.lr_scheduler
    cases = [
        ("sgd", lambda w, b: O.SGD([w, b], lr=0.1, foreach=False), None),
        ("sgd_momentum", lambda w, b: O.SGD([w, b], lr=0.05, momentum=0.9, dampening=0.1,
                                             weight_decay=0.01, foreach=False), None),
        ("sgd_nesterov", lambda w, b: O.SGD([w, b], lr=0.05, momentum=0.9, nesterov=True,
                                             weight_decay=0.001, foreach=False), None),
        ("adam", lambda w, b: O.Adam([w, b], lr=0.01, foreach=False), None),
        ("adam_wd_amsgrad", lambda w, b: O.Adam([w, b], lr=0.02, betas=(0.8, 0.95), eps=1e-6,
                                                weight_decay=0.1, amsgrad=True,
                                                foreach=False), None),
        ("adamw", lambda w, b: O.AdamW([w, b], lr=0.01, weight_decay=0.05, foreach=False), None),
        ("rmsprop", lambda w, b: O.RMSprop([w, b], lr=0.01, foreach=False), None),
        ("rmsprop_centered_momentum",
         lambda w, b: O.RMSprop([w, b], lr=0.01, alpha=0.9, momentum=0.5, centered=True,
                                weight_decay=0.01, foreach=False), None),
        ("adagrad", lambda w, b: O.Adagrad([w, b], lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                           initial_accumulator_value=0.1, foreach=False), None),
        ("groups", lambda w, b: O.SGD([{"params": [w]},
                                       {"params": [b], "lr": 0.01, "weight_decay": 0.1}],
                                      lr=0.1, momentum=0.9, foreach=False), None),
        ("sgd_steplr", lambda w, b: O.SGD([w, b], lr=0.1, momentum=0.9, foreach=False),
         lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
        ("adam_cosine", lambda w, b: O.Adam([w, b], lr=0.05, foreach=False),
         lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
    ]
    for name, make_opt, make_sched in cases:
        w = w0.clone().requires_grad_()
        b = b0.clone().requires_grad_()
        opt = make_opt(w, b)
        sched = make_sched(opt) if make_sched else None
        ws, bs, ls, lrs = [], [], [], []
        for _ in range(10):
            opt.zero_grad()
            loss = ((X @ w + b - Y) ** 2).mean()
            loss.backward()
            ls.append(loss.item())
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            if sched is not None:
                sched.step()
            ws.append(w.detach().clone())
            bs.append(b.detach().clone())
        put(name, "w", torch.stack(ws))
        put(name, "b", torch.stack(bs))
        put(name, "loss", torch.tensor(ls, dtype=F64))
        if sched is not None:
            put(name, "lr", torch.tensor(lrs, dtype=F64))
        assert ls[-1] < ls[0], (name, ls)


# ---------------------------------------------------------------------------
# 4. LR schedules
# ---------------------------------------------------------------------------

def schedules():
    S = torch.optim.lr_scheduler

    def run(name, make_sched, momentum=None, metric=None, record_momentum=False):
        p = torch.zeros(1, dtype=F64, requires_grad=True)
        if momentum is None:
            opt = torch.optim.SGD([p], lr=0.1)
        else:
            opt = torch.optim.SGD([p], lr=0.1, momentum=momentum)
        sched = make_sched(opt)
        lrs, moms = [], []
        for t in range(25):
            lrs.append(float(opt.param_groups[0]["lr"]))
            moms.append(float(opt.param_groups[0]["momentum"]))
            opt.step()
            if metric is None:
                sched.step()
            else:
                sched.step(float(metric[t]))
        put(name, "lr", torch.tensor(lrs, dtype=F64))
        if record_momentum:
            put(name, "momentum", torch.tensor(moms, dtype=F64))
        return lrs, moms

    run("step", lambda o: S.StepLR(o, step_size=5, gamma=0.3))
    run("multistep", lambda o: S.MultiStepLR(o, milestones=[3, 8, 15], gamma=0.5))
    run("exponential", lambda o: S.ExponentialLR(o, gamma=0.9))
    lrs, _ = run("cosine", lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.01))
    closed = [0.01 + 0.09 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(25)]
    stats["cosine_vs_closed"] = max(abs(a - b) for a, b in zip(lrs, closed))

    run("onecycle", lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=25),
        momentum=0.9, record_momentum=True)
    run("onecycle_linear",
        lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=25, pct_start=0.4,
                               anneal_strategy="linear", three_phase=True),
        momentum=0.9, record_momentum=True)

    def warmup_cosine(o):
        s1 = S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=5)
        s2 = S.CosineAnnealingLR(o, T_max=20, eta_min=0.0)
        return S.SequentialLR(o, schedulers=[s1, s2], milestones=[5])
    lrs, _ = run("warmup_cosine", warmup_cosine)
    expect = [0.1 * (0.1 + 0.9 * min(t, 5) / 5) for t in range(5)] + \
             [0.05 * (1 + math.cos(math.pi * k / 20)) for k in range(20)]
    stats["warmup_cosine_vs_closed"] = max(abs(a - b) for a, b in zip(lrs, expect))

    noise = (rand(25) - 0.5) * 1e-4
    metric = [1.0, 0.8, 0.6, 0.4, 0.3] + \
             [0.3 * (1 + float(noise[t])) for t in range(5, 12)] + \
             [0.25, 0.2, 0.15, 0.1] + \
             [0.1 * (1 + float(noise[t])) for t in range(16, 25)]
    assert len(metric) == 25
    metric = torch.tensor(metric, dtype=F64)
    put("plateau", "metric", metric)
    run("plateau",
        lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2, threshold=1e-4,
                                      cooldown=1, min_lr=0.01),
        metric=metric)


stats = {}


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    warnings.simplefilter("ignore")

    layers()
    losses()
    optimisers()
    schedules()

    for name, t in tensors.items():
        assert t.dtype in (F64, I64), (name, t.dtype)

    out_path = os.path.join(HERE, "nn.safetensors")
    # A single metadata key: safetensors serialises the metadata map in hash
    # order, so several keys would make the file bytes differ run to run.
    save_file(tensors, out_path,
              metadata={"generator": f"make_nn_fixtures.py (torch {torch.__version__})"})
    os.chmod(out_path, 0o644)
    with open(os.path.join(HERE, "nn_cases.md"), "w") as f:
        f.write("# Neuron NN fixtures (`nn.safetensors`)\n\n")
        f.write("Generated by `make_nn_fixtures.py`; this file is its docstring.\n\n")
        f.write("```text\n" + __doc__.strip("\n") + "\n```\n")
    cases = sorted({n.split(".")[0] for n in tensors})
    print(f"wrote {out_path}: {len(cases)} cases, {len(tensors)} tensors, "
          f"{os.path.getsize(out_path)} bytes")
    for k, v in stats.items():
        print(f"  {k}: max |diff| = {v:.3g}")


if __name__ == "__main__":
    main()
