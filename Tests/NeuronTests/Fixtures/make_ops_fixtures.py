"""Reference values from PyTorch for Neuron's tensor ops.

Run from the repository root:

    .venv/bin/python Tests/NeuronTests/Fixtures/make_ops_fixtures.py

Writes Tests/NeuronTests/Fixtures/ops.safetensors (safetensors.torch.save_file)
and Tests/NeuronTests/Fixtures/ops_cases.md (this docstring).

Conventions
-----------
* torch.manual_seed(0); cases are generated in the order listed below.
* Tensor names are `<case>.<role>`.  Inputs: `.x`, `.y`, `.z`, plus `.index`
  (int64 indices) and `.cond` (int64 0/1 mask).  Outputs: `.out`, `.indices`
  (int64, for ops that return indices), `.grad_x` / `.grad_y` / `.grad_z`
  (gradients w.r.t. x / y / z).
* dtype: float64 unless the case is marked (f32), then inputs and outputs are
  float32.  Comparison results and indices are int64.
* Scalars (sum_all, losses) are stored as 0-dim tensors (shape []).
* "randn" = torch.randn, "pos" = torch.rand(...) + 0.5 (strictly positive),
  "nz" = randn.sign() * (torch.rand(...) + 0.5) (bounded away from 0).
* F = torch.nn.functional.  Shapes in brackets.

Binary, broadcasting (x[3,1,4], y[2,1] -> out[3,2,4])
-----------------------------------------------------
- add: x randn, y randn; out = torch.add(x, y)
- sub: x randn, y randn; out = torch.sub(x, y)
- mul: x randn, y randn; out = torch.mul(x, y)
- div: x randn, y nz; out = torch.div(x, y)
- pow: x pos, y randn; out = torch.pow(x, y)
- maximum: x randn, y randn; out = torch.maximum(x, y)
- minimum: x randn, y randn; out = torch.minimum(x, y)
- add_f32 (f32): x[2,3] randn, y[3] randn; out[2,3] = torch.add(x, y)

Comparisons (x[2,3], y[2,3] randn with x[0,0] = y[0,0] and x[1,2] = y[1,2];
out[2,3] int64 0/1 = torch.<op>(x, y).to(torch.int64))
------------------------------------------------------------------------
- eq: out = torch.eq(x, y).to(torch.int64)
- lt: out = torch.lt(x, y).to(torch.int64)
- ge: out = torch.ge(x, y).to(torch.int64)

Unary (x[2,3,4] randn unless noted -> out[2,3,4])
-------------------------------------------------
- neg: out = torch.neg(x)
- exp: out = torch.exp(x)
- log: x pos; out = torch.log(x)
- sqrt: x pos; out = torch.sqrt(x)
- rsqrt: x pos; out = torch.rsqrt(x)
- abs: out = torch.abs(x)
- sign: x randn with x[0,0,0] = 0.0; out = torch.sign(x)   (sign(0) = 0)
- sigmoid: out = torch.sigmoid(x)
- tanh: out = torch.tanh(x)
- relu: x randn with x[0,0,0] = 0.0; out = torch.relu(x)
- leaky_relu: out = F.leaky_relu(x, negative_slope=0.2)
- elu: out = F.elu(x, alpha=1.0)
- gelu: out = F.gelu(x, approximate='none')
- gelu_tanh: out = F.gelu(x, approximate='tanh')
- silu: out = F.silu(x)
- softplus: out = F.softplus(x, beta=1.0, threshold=20.0)
- erf: out = torch.erf(x)
- clamp: out = torch.clamp(x, min=-0.5, max=0.5)
- sigmoid_f32 (f32): out = torch.sigmoid(x)
- gelu_f32 (f32): out = F.gelu(x, approximate='none')
- tanh_f32 (f32): out = torch.tanh(x)
- exp_f32 (f32): out = torch.exp(x)

Reductions (x[3,4,5] randn)
---------------------------
- sum_axis1_keep: out[3,1,5] = x.sum(dim=1, keepdim=True)
- sum_all: out[] = x.sum()
- mean_axes02: out[4] = x.mean(dim=(0, 2))
- var_axis1: out[3,5] = x.var(dim=1)   (unbiased, divisor N-1)
- var_axes01_biased: out[5] = x.var(dim=(0, 1), unbiased=False)   (divisor N)
- std_axis2_keep: out[3,4,1] = x.std(dim=2, keepdim=True)   (unbiased)
- max_axis1: out[3,5], indices[3,5] int64 = torch.max(x, dim=1)
- min_axis2: out[3,4], indices[3,4] int64 = torch.min(x, dim=2)
- argmax_axis0: indices[4,5] int64 = torch.argmax(x, dim=0)   (no .out)
- logsumexp_axis1: out[3,5] = torch.logsumexp(x, dim=1)
- softmax_axis2: out[3,4,5] = torch.softmax(x, dim=-1)
- log_softmax_axis1: out[3,4,5] = torch.log_softmax(x, dim=1)

Matmul (randn)
--------------
- matmul_2d: x[3,4], y[4,5]; out[3,5] = torch.matmul(x, y)
- matmul_batched: x[2,3,4], y[2,4,5]; out[2,3,5] = torch.matmul(x, y)
- matmul_bcast: x[2,1,3,4], y[3,4,2]; out[2,3,3,2] = torch.matmul(x, y)
- matmul_tt: x[4,3], y[5,4] (stored as given); out[3,5] = x.T @ y.T
- matmul_vec: x[3,4], y[4]; out[3] = torch.matmul(x, y)

Shape / indexing ops
--------------------
- cat_axis1: x[2,3], y[2,2] randn; out[2,5] = torch.cat([x, y], dim=1)
- stack_axis0: x[2,3], y[2,3] randn; out[2,2,3] = torch.stack([x, y], dim=0)
- gather_axis1: x[3,4] randn, index[3,2] int64 in [0,4);
  out[3,2] = torch.gather(x, 1, index)
- scatter_add_axis0: x[3,4] zeros, index[2,4] int64 in [0,3) (with a
  collision in column 0: index[0,0] = index[1,0]), y[2,4] randn (src);
  out[3,4] = x.scatter_add(0, index, y)
- index_select_axis0: x[4,3] randn, index[5] int64 = [3, 0, 3, 1, 0];
  out[5,3] = torch.index_select(x, 0, index)
- one_hot: index[5] int64 = [2, 0, 3, 1, 2]; out[5,4] int64 = F.one_hot(index, num_classes=4)
- pad: x[2,3] randn; out[3,6] = F.pad(x, (1, 2, 0, 1), value=0.5)
  (last dim: 1 before, 2 after; first dim: 0 before, 1 after)
- where: cond[2,3] int64 0/1, x[2,3] randn, y[1,3] randn;
  out[2,3] = torch.where(cond.bool(), x, y)
- transpose_contig: x[2,3,4] randn; out[4,2,3] = x.permute(2, 0, 1).contiguous()
- slice_step: x[5,6] randn; out[2,2] = x[1:5:2, ::3]

First-order gradients (float64)
-------------------------------
- grad_composite: x[3,4] randn, y[4,2] randn (= w), both requires_grad;
  loss = (torch.tanh(x @ w).pow(2) + torch.sigmoid(x).sum(1, keepdim=True)).mean()
  out[] = loss; grad_x[3,4] = dloss/dx; grad_y[4,2] = dloss/dw
- grad_ce: x[4,5] randn logits (requires_grad), index[4] int64 labels in [0,5);
  loss = -(torch.log_softmax(x, 1).gather(1, index[:, None])).mean()
  (== F.cross_entropy(x, index)); out[] = loss; grad_x[4,5] = dloss/dx

Second order (float64, create_graph=True)
-----------------------------------------
- hvp: x[4] randn (requires_grad), y[4] randn (= v);
  f = (torch.tanh(x) ** 3).sum() + (x.exp() * x).sum()
  g = torch.autograd.grad(f, x, create_graph=True)[0]
  hvp = torch.autograd.grad((g * v).sum(), x)[0]
  out[4] = hvp; grad_x[4] = g
- gradpen: x[3,4] randn, y[4,5] randn (= w1), z[5,1] randn (= w2); x, w1, w2
  requires_grad;
  D = (torch.tanh(x @ w1) @ w2).sum()
  g = torch.autograd.grad(D, x, create_graph=True)[0]          # [3,4]
  penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
  out[] = penalty; grad_y[4,5] = dpenalty/dw1; grad_z[5,1] = dpenalty/dw2
"""

import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
F64 = torch.float64
F32 = torch.float32
I64 = torch.int64

tensors = {}


def put(case, role, t):
    name = f"{case}.{role}"
    assert name not in tensors, name
    tensors[name] = t.detach().clone().contiguous()


def randn(*shape, dtype=F64):
    return torch.randn(*shape, dtype=dtype)


def pos(*shape, dtype=F64):
    return torch.rand(*shape, dtype=dtype) + 0.5


def nz(*shape, dtype=F64):
    return torch.randn(*shape, dtype=dtype).sign() * (torch.rand(*shape, dtype=dtype) + 0.5)


def main():
    torch.manual_seed(0)

    # ---- binary with broadcasting -------------------------------------
    binary = [
        ("add", torch.add, randn, randn),
        ("sub", torch.sub, randn, randn),
        ("mul", torch.mul, randn, randn),
        ("div", torch.div, randn, nz),
        ("pow", torch.pow, pos, randn),
        ("maximum", torch.maximum, randn, randn),
        ("minimum", torch.minimum, randn, randn),
    ]
    for name, fn, gx, gy in binary:
        x, y = gx(3, 1, 4), gy(2, 1)
        out = fn(x, y)
        assert out.shape == (3, 2, 4)
        put(name, "x", x); put(name, "y", y); put(name, "out", out)

    x, y = randn(2, 3, dtype=F32), randn(3, dtype=F32)
    put("add_f32", "x", x); put("add_f32", "y", y); put("add_f32", "out", torch.add(x, y))

    # ---- comparisons ----------------------------------------------------
    for name, fn in [("eq", torch.eq), ("lt", torch.lt), ("ge", torch.ge)]:
        x, y = randn(2, 3), randn(2, 3)
        x[0, 0] = y[0, 0]
        x[1, 2] = y[1, 2]
        put(name, "x", x); put(name, "y", y); put(name, "out", fn(x, y).to(I64))

    # ---- unary ------------------------------------------------------------
    def with_zero(*shape, dtype=F64):
        t = randn(*shape, dtype=dtype)
        t[0, 0, 0] = 0.0
        return t

    unary = [
        ("neg", torch.neg, randn, F64),
        ("exp", torch.exp, randn, F64),
        ("log", torch.log, pos, F64),
        ("sqrt", torch.sqrt, pos, F64),
        ("rsqrt", torch.rsqrt, pos, F64),
        ("abs", torch.abs, randn, F64),
        ("sign", torch.sign, with_zero, F64),
        ("sigmoid", torch.sigmoid, randn, F64),
        ("tanh", torch.tanh, randn, F64),
        ("relu", torch.relu, with_zero, F64),
        ("leaky_relu", lambda t: F.leaky_relu(t, negative_slope=0.2), randn, F64),
        ("elu", lambda t: F.elu(t, alpha=1.0), randn, F64),
        ("gelu", lambda t: F.gelu(t, approximate="none"), randn, F64),
        ("gelu_tanh", lambda t: F.gelu(t, approximate="tanh"), randn, F64),
        ("silu", F.silu, randn, F64),
        ("softplus", lambda t: F.softplus(t, beta=1.0, threshold=20.0), randn, F64),
        ("erf", torch.erf, randn, F64),
        ("clamp", lambda t: torch.clamp(t, min=-0.5, max=0.5), randn, F64),
        ("sigmoid_f32", torch.sigmoid, randn, F32),
        ("gelu_f32", lambda t: F.gelu(t, approximate="none"), randn, F32),
        ("tanh_f32", torch.tanh, randn, F32),
        ("exp_f32", torch.exp, randn, F32),
    ]
    for name, fn, gen, dt in unary:
        x = gen(2, 3, 4, dtype=dt)
        out = fn(x)
        assert out.dtype == dt and out.shape == (2, 3, 4)
        put(name, "x", x); put(name, "out", out)

    # ---- reductions -------------------------------------------------------
    def red(name, fn):
        x = randn(3, 4, 5)
        put(name, "x", x)
        put(name, "out", fn(x))

    red("sum_axis1_keep", lambda x: x.sum(dim=1, keepdim=True))
    red("sum_all", lambda x: x.sum())
    red("mean_axes02", lambda x: x.mean(dim=(0, 2)))
    red("var_axis1", lambda x: x.var(dim=1))
    red("var_axes01_biased", lambda x: x.var(dim=(0, 1), unbiased=False))
    red("std_axis2_keep", lambda x: x.std(dim=2, keepdim=True))

    x = randn(3, 4, 5)
    v, i = torch.max(x, dim=1)
    put("max_axis1", "x", x); put("max_axis1", "out", v); put("max_axis1", "indices", i)
    x = randn(3, 4, 5)
    v, i = torch.min(x, dim=2)
    put("min_axis2", "x", x); put("min_axis2", "out", v); put("min_axis2", "indices", i)
    x = randn(3, 4, 5)
    put("argmax_axis0", "x", x); put("argmax_axis0", "indices", torch.argmax(x, dim=0))

    red("logsumexp_axis1", lambda x: torch.logsumexp(x, dim=1))
    red("softmax_axis2", lambda x: torch.softmax(x, dim=-1))
    red("log_softmax_axis1", lambda x: torch.log_softmax(x, dim=1))

    # ---- matmul -------------------------------------------------------------
    def mm(name, xs, ys, fn=torch.matmul, expect=None):
        x, y = randn(*xs), randn(*ys)
        out = fn(x, y)
        assert tuple(out.shape) == expect, (name, out.shape)
        put(name, "x", x); put(name, "y", y); put(name, "out", out)

    mm("matmul_2d", (3, 4), (4, 5), expect=(3, 5))
    mm("matmul_batched", (2, 3, 4), (2, 4, 5), expect=(2, 3, 5))
    mm("matmul_bcast", (2, 1, 3, 4), (3, 4, 2), expect=(2, 3, 3, 2))
    mm("matmul_tt", (4, 3), (5, 4), fn=lambda x, y: x.T @ y.T, expect=(3, 5))
    mm("matmul_vec", (3, 4), (4,), expect=(3,))

    # ---- shape / indexing ops -----------------------------------------------
    x, y = randn(2, 3), randn(2, 2)
    put("cat_axis1", "x", x); put("cat_axis1", "y", y)
    put("cat_axis1", "out", torch.cat([x, y], dim=1))

    x, y = randn(2, 3), randn(2, 3)
    put("stack_axis0", "x", x); put("stack_axis0", "y", y)
    put("stack_axis0", "out", torch.stack([x, y], dim=0))

    x = randn(3, 4)
    index = torch.randint(0, 4, (3, 2), dtype=I64)
    put("gather_axis1", "x", x); put("gather_axis1", "index", index)
    put("gather_axis1", "out", torch.gather(x, 1, index))

    x = torch.zeros(3, 4, dtype=F64)
    index = torch.randint(0, 3, (2, 4), dtype=I64)
    index[1, 0] = index[0, 0]  # guarantee an accumulation collision
    y = randn(2, 4)
    put("scatter_add_axis0", "x", x); put("scatter_add_axis0", "index", index)
    put("scatter_add_axis0", "y", y)
    put("scatter_add_axis0", "out", x.scatter_add(0, index, y))

    x = randn(4, 3)
    index = torch.tensor([3, 0, 3, 1, 0], dtype=I64)
    put("index_select_axis0", "x", x); put("index_select_axis0", "index", index)
    put("index_select_axis0", "out", torch.index_select(x, 0, index))

    index = torch.tensor([2, 0, 3, 1, 2], dtype=I64)
    put("one_hot", "index", index)
    put("one_hot", "out", F.one_hot(index, num_classes=4).to(I64))

    x = randn(2, 3)
    put("pad", "x", x); put("pad", "out", F.pad(x, (1, 2, 0, 1), value=0.5))

    cond = torch.tensor([[1, 0, 1], [0, 1, 1]], dtype=I64)
    x, y = randn(2, 3), randn(1, 3)
    put("where", "cond", cond); put("where", "x", x); put("where", "y", y)
    put("where", "out", torch.where(cond.bool(), x, y))

    x = randn(2, 3, 4)
    put("transpose_contig", "x", x)
    put("transpose_contig", "out", x.permute(2, 0, 1).contiguous())

    x = randn(5, 6)
    put("slice_step", "x", x); put("slice_step", "out", x[1:5:2, ::3])

    # ---- first-order gradients ----------------------------------------------
    x = randn(3, 4).requires_grad_()
    w = randn(4, 2).requires_grad_()
    loss = (torch.tanh(x @ w).pow(2) + torch.sigmoid(x).sum(1, keepdim=True)).mean()
    gx, gw = torch.autograd.grad(loss, (x, w))
    put("grad_composite", "x", x); put("grad_composite", "y", w)
    put("grad_composite", "out", loss)
    put("grad_composite", "grad_x", gx); put("grad_composite", "grad_y", gw)

    x = randn(4, 5).requires_grad_()
    labels = torch.randint(0, 5, (4,), dtype=I64)
    loss = -(torch.log_softmax(x, 1).gather(1, labels[:, None])).mean()
    assert torch.allclose(loss, F.cross_entropy(x, labels))
    (gx,) = torch.autograd.grad(loss, (x,))
    put("grad_ce", "x", x); put("grad_ce", "index", labels)
    put("grad_ce", "out", loss); put("grad_ce", "grad_x", gx)

    # ---- second order --------------------------------------------------------
    x = randn(4).requires_grad_()
    v = randn(4)
    f = (torch.tanh(x) ** 3).sum() + (x.exp() * x).sum()
    (g,) = torch.autograd.grad(f, x, create_graph=True)
    (hvp,) = torch.autograd.grad((g * v).sum(), x)
    put("hvp", "x", x); put("hvp", "y", v)
    put("hvp", "out", hvp); put("hvp", "grad_x", g)

    x = randn(3, 4).requires_grad_()
    w1 = randn(4, 5).requires_grad_()
    w2 = randn(5, 1).requires_grad_()
    D = (torch.tanh(x @ w1) @ w2).sum()
    (g,) = torch.autograd.grad(D, x, create_graph=True)
    penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
    gw1, gw2 = torch.autograd.grad(penalty, (w1, w2))
    put("gradpen", "x", x); put("gradpen", "y", w1); put("gradpen", "z", w2)
    put("gradpen", "out", penalty)
    put("gradpen", "grad_y", gw1); put("gradpen", "grad_z", gw2)

    # ---- write ----------------------------------------------------------------
    for name, t in tensors.items():
        assert t.dtype in (F64, F32, I64), (name, t.dtype)
        assert t.dim() <= 4 and all(s <= 5 for s in t.shape) or name in (
            "pad.out", "slice_step.x",
        ), (name, tuple(t.shape))

    out_path = os.path.join(HERE, "ops.safetensors")
    # A single metadata key: safetensors serialises the metadata map in hash
    # order, so several keys would make the file bytes differ run to run.
    save_file(tensors, out_path,
              metadata={"generator": f"make_ops_fixtures.py (torch {torch.__version__})"})
    os.chmod(out_path, 0o644)
    with open(os.path.join(HERE, "ops_cases.md"), "w") as f:
        f.write("# Neuron op fixtures (`ops.safetensors`)\n\n")
        f.write("Generated by `make_ops_fixtures.py`; this file is its docstring.\n\n")
        f.write("```text\n" + __doc__.strip("\n") + "\n```\n")
    cases = sorted({n.split(".")[0] for n in tensors})
    print(f"wrote {out_path}: {len(cases)} cases, {len(tensors)} tensors, "
          f"{os.path.getsize(out_path)} bytes")


if __name__ == "__main__":
    main()
