"""Runs `neuron bench ops`, PyTorch's equivalents (torch_ops.py) and the C GEMM baseline
(gemm.c) in one session and prints a Markdown table with the ratios.

    make bench-ops          # or: python bench/compare_ops.py --neuron … --gemm … --python …
"""

import argparse
import json
import subprocess


def run_json(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return {r["name"]: r for r in map(json.loads, filter(None, out.splitlines()))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--neuron", required=True)
    parser.add_argument("--gemm", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    rows = {}
    for _ in range(args.rounds):  # interleaved rounds; the best of each side is kept
        for name, r in run_json([args.neuron, "bench", "ops"]).items():
            rows.setdefault(name, {}).setdefault("neuron", []).append(r)
        for name, r in run_json([args.python, "bench/torch_ops.py"]).items():
            rows.setdefault(name, {}).setdefault("pytorch", []).append(r)
        for name, r in run_json([args.gemm, "openblas", "1024"]).items():
            rows.setdefault(name, {}).setdefault("c", []).append(r)
        for name, r in run_json([args.gemm, "dnnl", "1024"]).items():
            rows.setdefault(name, {}).setdefault("c", []).append(r)

    metrics = {"matmul_1024": ("gflops", True), "add_1x1_overhead": ("us_per_op", False),
               "mlp_step_overhead": ("us_per_step", False), "add_1M": ("gb_per_s", True)}
    print("| benchmark | unit | Neuron | PyTorch | Neuron / PyTorch (higher is better) |")
    print("|---|---|---|---|---|")
    for name, (unit, higher) in metrics.items():
        best = max if higher else min
        ours = best(r[unit] for r in rows[name]["neuron"])
        theirs = best(r[unit] for r in rows[name]["pytorch"])
        speedup = ours / theirs if higher else theirs / ours
        print(f"| {name} | {unit} | {ours:.4g} | {theirs:.4g} | {speedup:.2f}× |")
    for lib in ("openblas", "dnnl"):
        key = f"sgemm_{lib}_1024"
        value = max(r["gflops"] for r in rows[key]["c"])
        ours = max(r["gflops"] for r in rows["matmul_1024"]["neuron"])
        print(f"| {key} (plain C) | gflops | {ours:.4g} | {value:.4g} (C) | {ours / value:.2f}× |")


if __name__ == "__main__":
    main()
