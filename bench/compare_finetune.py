"""`neuron bench bert-finetune` next to PyTorch (bench/torch_bert_finetune.py): training steps
of all-MiniLM-L6-v2 with a linear head on the same 16-fortune batches (same token counts),
interleaved rounds, medians, 2 threads.

    make bench-finetune  # or: python3 bench/compare_finetune.py --neuron … --python … [--rounds 3]
"""

import argparse
import json
import statistics
import subprocess


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--neuron", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    ours, theirs, tokens = [], [], []
    for _ in range(args.rounds):
        out = subprocess.run([args.neuron, "bench", "bert-finetune", "--batches", str(args.steps)],
                             check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        ours.append(result["samples_per_s"])
        tokens.append(result["tokens_per_batch"])
        out = subprocess.run([args.python, "bench/torch_bert_finetune.py", "--steps", str(args.steps)],
                             check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        theirs.append(result["samples_per_s"])
        tokens.append(result["tokens_per_batch"])
    # Neuron prints 4 significant digits.
    if max(tokens) - min(tokens) > 1:
        raise SystemExit(f"the two sides saw different batches (tokens per batch: {tokens})")
    a, b = statistics.median(ours), statistics.median(theirs)
    print("| | Neuron | PyTorch + transformers | ratio |")
    print("|---|---|---|---|")
    print(f"| samples/s, MiniLM fine-tuning, {tokens[-1]:,.0f} tokens per batch, median of {args.rounds} | {a:.1f} | {b:.1f} | {a / b:.2f}× |")
    print(f"rounds: Neuron {[round(x, 2) for x in ours]}; PyTorch {[round(x, 2) for x in theirs]}")


if __name__ == "__main__":
    main()
