#!/usr/bin/env python3
"""Data-parallel training measured: one process with 2 threads against 2 processes with 1 thread
each under mpirun, with and without overlapping the gradient sums with backward, over shared
memory (Open MPI's vader) and over TCP (`--mca btl self,tcp`, the transport between machines).

Prints a Markdown table of samples/s (best of the rounds, rounds interleaved) with the ratio to
the single process, and the seconds each process waited for gradient sums. Standard library only.

    python3 bench/distributed.py [--rounds 2] [--neuron .build/release/neuron]
"""
import argparse
import os
import re
import subprocess
import sys

MODELS = [
    # name, neuron arguments (the global batch is split over the processes), batch, label
    ("mlp", ["train", "--model", "mlp", "--epochs", "1", "--batch-size", "64", "--steps-per-epoch", "600"], 64, "MLP, batch 64"),
    ("resnet20", ["train", "--model", "resnet20", "--epochs", "1", "--batch-size", "128", "--steps-per-epoch", "30"], 128,
     "ResNet-20, batch 128"),
    ("minilm", ["finetune", "--task", "text-topics", "--mode", "finetune", "--epochs", "1", "--steps-per-epoch", "12"], 16,
     "MiniLM fine-tuning, batch 16"),
]
CONFIGS = [
    ("1 process × 2 threads", None, []),
    ("2 × 1, shared memory, overlap", [], []),
    ("2 × 1, shared memory, no overlap", [], ["--no-overlap"]),
    ("2 × 1, TCP, overlap", ["--mca", "btl", "self,tcp"], []),
    ("2 × 1, TCP, no overlap", ["--mca", "btl", "self,tcp"], ["--no-overlap"]),
]


def run(neuron, arguments, batch, mpi, extra, out):
    command = [neuron] + arguments + extra + ["--out", out]
    if mpi is not None:
        root = ["--allow-run-as-root"] if os.geteuid() == 0 else []
        command = ["mpirun"] + root + ["--oversubscribe", "-q", "-np", "2"] + mpi + command
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    text = result.stdout.replace("\r", "\n")
    # The epoch's summary line: "N steps - Xs Yms/step - Z samples/s".
    steps = re.findall(r"([\d.]+)ms/step - \d+ samples/s", text)
    waited = re.search(r"waited ([\d.]+) / ([\d.]+) s", text)
    return batch * 1000 / float(steps[-1]), (max(float(waited.group(1)), float(waited.group(2))) if waited else None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--neuron", default=".build/release/neuron")
    parser.add_argument("--models", default="mlp,resnet20,minilm")
    args = parser.parse_args()
    chosen = [m for m in MODELS if m[0] in args.models.split(",")]
    best = {}
    for round_ in range(args.rounds):
        for name, arguments, batch, _ in chosen:
            for label, mpi, extra in CONFIGS:
                rate, waited = run(args.neuron, arguments, batch, mpi, extra, f"runs/bench-distributed/{name}")
                key = (name, label)
                if key not in best or rate > best[key][0]:
                    best[key] = (rate, waited)
                print(f"round {round_ + 1}: {name:8s} {label:34s} {rate:9.1f} samples/s"
                      + (f", waited {waited:.2f} s" if waited is not None else ""), file=sys.stderr)
    print("| model | run | samples/s | vs 1 process | longest wait for gradient sums |")
    print("|---|---|---|---|---|")
    for name, _, _, title in chosen:
        single = best[(name, CONFIGS[0][0])][0]
        for label, _, _ in CONFIGS:
            rate, waited = best[(name, label)]
            wait = f"{waited:.2f} s" if waited is not None else "–"
            print(f"| {title} | {label} | {rate:,.1f} | {rate / single:.2f}× | {wait} |")


if __name__ == "__main__":
    main()
