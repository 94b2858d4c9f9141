"""PyTorch reference for the micro-benchmarks printed by `neuron bench ops`.

Run: .venv/bin/python bench/torch_ops.py

Prints one JSON object per line on stdout, with the same names as Neuron plus
"framework":"pytorch". Diagnostics (versions, thread counts) go to stderr.
All timings use 2 intra-op threads and time.perf_counter_ns.
"""

import json
import os
import re
import statistics
import sys
import time

import torch
import torch.nn as nn

THREADS = 2


def emit(name, **fields):
    record = {"name": name, **fields, "framework": "pytorch"}
    print(json.dumps(record, separators=(",", ":")), flush=True)


def time_each(fn, reps, warmup):
    """Run fn warmup times untimed, then return the duration (s) of each of reps calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        fn()
        times.append((time.perf_counter_ns() - t0) * 1e-9)
    return times


def bench_matmul(n=1024, reps=30):
    x = torch.randn(n, n, dtype=torch.float32)
    y = torch.randn(n, n, dtype=torch.float32)
    # Sanity check against a float64 product before timing.
    ref = x.double() @ y.double()
    if not torch.allclose((x @ y).double(), ref, rtol=1e-4, atol=1e-3):
        sys.exit("matmul result is wrong")
    med = statistics.median(time_each(lambda: x @ y, reps, warmup=3))
    emit(f"matmul_{n}", gflops=round(2 * n**3 / med * 1e-9, 2))


def bench_add_overhead(ops=200_000, loops=5):
    # Measures per-op dispatch overhead: the tensors hold a single element,
    # so (Python loop + dispatcher + allocation of the result) is all there is.
    a = torch.ones(1, dtype=torch.float32)
    b = torch.ones(1, dtype=torch.float32)
    per_op = []
    for loop in range(loops + 1):
        t0 = time.perf_counter_ns()
        for _ in range(ops):
            a + b
        elapsed = time.perf_counter_ns() - t0
        if loop > 0:  # loop 0 is the warm-up
            per_op.append(elapsed / ops * 1e-3)
    emit("add_1x1_overhead", us_per_op=round(statistics.median(per_op), 4))


def bench_mlp_step(steps=20_000, warmup=1_000):
    model = nn.Linear(10, 10)
    x = torch.randn(1, 10)

    def step():
        model.zero_grad(set_to_none=True)
        loss = model(x).sum()
        loss.backward()

    med = statistics.median(time_each(step, steps, warmup))
    emit("mlp_step_overhead", us_per_step=round(med * 1e6, 3))


def bench_add_1m(n=1_000_000, reps=1000):
    # 3 × 4 MB = 12 MB fits in this machine's 32 MB L3, so this is a cache-
    # bandwidth figure (plus threading overhead), not a DRAM one.
    a = torch.randn(n, dtype=torch.float32)
    b = torch.randn(n, dtype=torch.float32)
    c = torch.empty(n, dtype=torch.float32)
    moved = 3 * 4 * n  # bytes per op: read a, read b, write c

    torch.add(a, b, out=c)
    if not torch.equal(c, a + b):
        sys.exit("add result is wrong")

    med = statistics.median(time_each(lambda: torch.add(a, b, out=c), reps, warmup=20))
    emit("add_1M", gb_per_s=round(moved / med * 1e-9, 2))
    # Same op but allocating the result each time, as `a + b` does in user code.
    med = statistics.median(time_each(lambda: a + b, reps, warmup=20))
    emit("add_1M_alloc", gb_per_s=round(moved / med * 1e-9, 2))


def main():
    torch.set_num_threads(THREADS)
    # parallel_info() reports what OpenMP/MKL will actually use after set_num_threads.
    info = torch.__config__.parallel_info()
    omp = re.search(r"omp_get_max_threads\(\) : (\d+)", info)
    mkl = re.search(r"mkl_get_max_threads\(\) : (\d+)", info)
    print(
        f"torch {torch.__version__} | intra-op threads {torch.get_num_threads()}"
        f" | omp {omp and omp.group(1)} | mkl {mkl and mkl.group(1)}"
        f" | CPU capability {torch.backends.cpu.get_cpu_capability()}"
        f" | load avg {os.getloadavg()[0]:.2f}",
        file=sys.stderr,
    )
    bench_matmul()
    bench_add_overhead()
    bench_mlp_step()
    bench_add_1m()


if __name__ == "__main__":
    main()
