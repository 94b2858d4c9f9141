"""Runs `neuron bench <model>` and the same model in PyTorch (bench/torch_<model>.py) in
interleaved rounds and prints a Markdown table: samples/s of each, their ratio, and the
test metric each reached (accuracy; MSE for the autoencoder; the last discriminator loss for
the GAN).

    make bench-mlp          # or: python bench/compare_models.py --neuron … --python … mlp
"""

import argparse
import json
import statistics
import subprocess


def run_json(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--neuron", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=None, help="stop each run after N batches (both frameworks)")
    parser.add_argument("models", nargs="+")
    args = parser.parse_args()
    print("| model | Neuron samples/s | PyTorch samples/s | Neuron / PyTorch | test metric | Neuron | PyTorch |")
    print("|---|---|---|---|---|---|---|")
    for model in args.models:
        ours, theirs = [], []
        for _ in range(args.rounds):
            limit = ["--batches", str(args.batches)] if args.batches else []
            ours.append(run_json([args.neuron, "bench", model] + limit))
            theirs.append(run_json([args.python, f"bench/torch_{model}.py", "--model", model] + limit))
        a = statistics.median(r["samples_per_s"] for r in ours)
        b = statistics.median(r["samples_per_s"] for r in theirs)
        print(f"| {model} | {a:,.0f} | {b:,.0f} | {a / b:.2f}× | {ours[0]['metric_name']} | {ours[0]['metric']:.4f} | {theirs[0]['metric']:.4f} |")


if __name__ == "__main__":
    main()
