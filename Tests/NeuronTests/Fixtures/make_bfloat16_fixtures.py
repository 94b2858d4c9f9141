"""Reference values from PyTorch for bfloat16 and autocast.

Run from the repository root:

    .venv/bin/python Tests/NeuronTests/Fixtures/make_bfloat16_fixtures.py

Writes Tests/NeuronTests/Fixtures/bfloat16.safetensors:
* cast.x (float32): values around rounding ties, tiny and huge values, infinities;
  cast.out (bfloat16) = cast.x.to(torch.bfloat16).
* add.x, add.y (bfloat16 [2, 3]); add.out = add.x + add.y (bfloat16).
* matmul.x [3, 5], matmul.y [5, 4] (bfloat16); matmul.out = matmul.x @ matmul.y (bfloat16).
* autocast.x [4, 6], autocast.w [6, 3] (float32); autocast.out = x.bf16 @ w.bf16 accumulated
  in float32: what a GEMM under autocast(bfloat16) on a GPU returns, up to summation order.
"""
import torch
from safetensors.torch import save_file

torch.manual_seed(0)
ties = [1 + 2**-8, 1 + 3 * 2**-8, -(1 + 2**-8), 2**-130, 3.0e38, 3.4e38, 3.14159265, -0.1, 65504.0, 1e-3]
x = torch.tensor(ties + [float("inf"), float("-inf"), 0.0, -0.0], dtype=torch.float32)
t = {"cast.x": x, "cast.out": x.to(torch.bfloat16)}
a, b = torch.randn(2, 3).to(torch.bfloat16), torch.randn(2, 3).to(torch.bfloat16)
t.update({"add.x": a, "add.y": b, "add.out": a + b})
m, n = torch.randn(3, 5).to(torch.bfloat16), torch.randn(5, 4).to(torch.bfloat16)
t.update({"matmul.x": m, "matmul.y": n, "matmul.out": m @ n})
u, w = torch.randn(4, 6), torch.randn(6, 3)
t.update({"autocast.x": u, "autocast.w": w,
          "autocast.out": u.to(torch.bfloat16).double() @ w.to(torch.bfloat16).double()})
t["autocast.out"] = t["autocast.out"].float()
save_file({k: v.contiguous() for k, v in t.items()}, "Tests/NeuronTests/Fixtures/bfloat16.safetensors")
