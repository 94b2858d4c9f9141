"""`neuron embed` next to sentence-transformers on 1,000 fortunes (Debian's `fortunes`: the first
1,000 fortunes of the topics in name order, each joined into one line), interleaved rounds,
medians; both with all-MiniLM-L6-v2, batch 32, 2 threads, model load not timed.

    make bench-embed     # or: python3 bench/compare_embed.py --neuron … --python … [--rounds 5]
"""

import argparse
import glob
import json
import os
import re
import statistics
import subprocess


def fortunes(count):
    entries = []
    for path in sorted(glob.glob("/usr/share/games/fortunes/*.u8")):
        with open(path, encoding="utf-8", errors="replace") as f:
            for entry in f.read().split("\n%\n"):
                text = " ".join(entry.split())
                if text and text != "%":
                    entries.append(text)
    if len(entries) < count:
        raise SystemExit("Debian's fortunes are missing: apt-get install fortunes")
    return entries[:count]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--neuron", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.makedirs("runs", exist_ok=True)
    path = "runs/fortunes-1000.txt"
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(fortunes(1000)) + "\n")
    ours, theirs = [], []
    for _ in range(args.rounds):
        out = subprocess.run([args.neuron, "embed", "--input", path, "--output", "runs/fortunes-1000.npy"],
                             check=True, capture_output=True, text=True).stdout
        ours.append(float(re.search(r"\(([0-9.]+) sentences/s\)", out).group(1)))
        out = subprocess.run([args.python, "bench/st_embed.py", path], check=True, capture_output=True, text=True).stdout
        theirs.append(json.loads(out.strip().splitlines()[-1])["sentences_per_s"])
    a, b = statistics.median(ours), statistics.median(theirs)
    print("| | Neuron (`neuron embed`) | sentence-transformers (PyTorch) | ratio |")
    print("|---|---|---|---|")
    print(f"| sentences/s, 1,000 fortunes, median of {args.rounds} | {a:,.0f} | {b:,.0f} | {a / b:.2f}× |")
    print(f"rounds: Neuron {ours}; sentence-transformers {[round(x, 1) for x in theirs]}")


if __name__ == "__main__":
    main()
