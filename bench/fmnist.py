"""Data and timing helpers that bench/jax_bench.py imports as `fmnist`: Fashion-MNIST
from Debian's package, standardised (mean 0.2860, std 0.3530); a seeded shuffled batch order;
a clock that times the first step apart (compilation) and the rest as the training rate; one
JSON line in `neuron bench`'s format.

    JAX_VENV/bin/python bench/jax_bench.py gan --batches 300
"""
import gzip, json, time
import numpy as np

ROOT = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530

def read_idx(path):
    """An IDX file (gzip) as a uint8 array of its dimensions."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)

def load(split):
    pre = "train" if split == "train" else "t10k"
    x = read_idx(f"{ROOT}/{pre}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    y = read_idx(f"{ROOT}/{pre}-labels-idx1-ubyte.gz").astype(np.int32)
    return (x - MEAN) / STD, y

def batches(n, bs, limit, epochs):
    rng = np.random.default_rng(0); count = 0
    for _ in range(epochs):
        perm = rng.permutation(n).astype(np.int32)
        for i in range(0, n - bs + 1, bs):
            if limit and count >= limit:
                return
            count += 1
            yield perm[i:i + bs]

class Clock:
    def __init__(self, warmup):
        self.warmup, self.steps, self.t0 = warmup, 0, time.perf_counter(); self.start = None
    def step(self, sync):
        self.steps += 1
        if self.steps == self.warmup:
            sync(); self.compile = time.perf_counter() - self.t0; self.start = time.perf_counter()
    def done(self, sync, bs):
        sync(); t = time.perf_counter()
        timed = self.steps - self.warmup
        return {"samples_per_s": timed * bs / (t - self.start), "train_seconds": t - self.start,
                "compile_seconds": self.compile, "samples_per_s_incl_compile": self.steps * bs / (t - self.t0)}

def emit(name, impl, threads, clock, metric_name, metric, **extra):
    print(json.dumps({"name": name, "impl": impl, "threads": threads, **{k: round(v, 2) for k, v in clock.items()},
                      "metric_name": metric_name, "metric": round(float(metric), 4), **extra}))
