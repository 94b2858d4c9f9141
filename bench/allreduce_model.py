#!/usr/bin/env python3
"""The cost model of data-parallel training with ring all-reduce, as docs/distributed.md uses it.

A ring all-reduce of B bytes over N processes sends 2(N-1)/N x B bytes per process in 2(N-1)
steps; with a link of bandwidth W and a latency of a per step, one bucket costs
    t = 2(N-1)/N x B / W + 2(N-1) x a,
and a step pays it for every bucket. Without overlap that time adds to the step's compute time;
with overlap, communication hides behind the backward pass (about 2/3 of the step) and only the
excess is exposed, or at least the last bucket, which starts when backward ends. Efficiency = compute / (compute + exposed).

    python3 bench/allreduce_model.py [--latency-us 25] [--check shm:us_4KB:GBps,tcp:us_4KB:GBps]
"""
import argparse

# Gradient bytes (float32) and the measured step time of one process (2 threads, this machine)
# at the per-process batch, from docs/benchmarks.md.
MODELS = [
    ("MLP 784-256-128-10", 235_146, 4, 0.00075, "batch 64"),
    ("ResNet-20", 272_186, 4, 0.32, "batch 128"),
    ("MiniLM-L6 (22.7 M)", 22_713_216, 4, 1.14, "batch 16"),
]
LINKS_GBIT = [10, 25, 100]
RANKS = [8, 64, 512]


def ring_seconds(nbytes, ranks, bandwidth_bytes, latency, buckets):
    return 2 * (ranks - 1) / ranks * nbytes / bandwidth_bytes + buckets * 2 * (ranks - 1) * latency


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-us", type=float, default=25.0, help="per-step latency of the network (TCP: ~25 µs)")
    args = parser.parse_args()
    latency = args.latency_us * 1e-6
    print("| model | gradient | step (1 process) | link | all-reduce at 8 / 64 / 512 ranks | efficiency without overlap | with overlap |")
    print("|---|---|---|---|---|---|---|")
    for name, parameters, buckets, step, batch in MODELS:
        nbytes = parameters * 4
        for gbit in LINKS_GBIT:
            bandwidth = gbit * 1e9 / 8
            times = [ring_seconds(nbytes, n, bandwidth, latency, buckets) for n in RANKS]
            plain = [step / (step + t) for t in times]
            last_bucket = [ring_seconds(nbytes / buckets, n, bandwidth, latency, 1) for n in RANKS]
            hidden = [step / (step + max(t - 2 / 3 * step, lb)) for t, lb in zip(times, last_bucket)]
            print(f"| {name} | {nbytes / 1e6:.2f} MB | {step * 1e3:.2f} ms ({batch}) | {gbit} Gbit/s | "
                  + " / ".join(f"{t * 1e3:.1f} ms" for t in times) + " | "
                  + " / ".join(f"{e:.0%}" for e in plain) + " | "
                  + " / ".join(f"{e:.0%}" for e in hidden) + " |")


if __name__ == "__main__":
    main()
