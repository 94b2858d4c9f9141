"""Markdown tables of runs/transfer/results.csv (written by scripts/transfer_sweep.sh): test
accuracy (and macro-F1 for text) per task, mode and labels per class, mean ± standard deviation
over seeds, with the mean seconds per run.

    python3 scripts/transfer_table.py [runs/transfer/results.csv]
"""

import csv
import statistics
import sys
from collections import defaultdict

rows = list(csv.DictReader(open(sys.argv[1] if len(sys.argv) > 1 else "runs/transfer/results.csv")))
cells = defaultdict(list)
for row in rows:
    cells[(row["task"], row["mode"], row["labels_per_class"])].append(row)
for task in dict.fromkeys(r["task"] for r in rows):
    order = ["scratch", "frozen", "frozen-convs", "finetune", "probe"]
    modes = sorted(dict.fromkeys(r["mode"] for r in rows if r["task"] == task), key=lambda m: order.index(m) if m in order else len(order))
    counts = ["10", "50", "all"]
    print(f"\n{task}\n")
    print("| mode | " + " | ".join(f"N = {n}" for n in counts) + " |")
    print("|---|" + "---|" * len(counts))
    for mode in modes:
        line = []
        for n in counts:
            runs = cells.get((task, mode, n), [])
            if not runs:
                line.append("–")
                continue
            acc = [float(r["test_accuracy"]) for r in runs]
            f1 = [float(r["macro_f1"]) for r in runs]
            sec = statistics.mean(float(r["seconds"]) for r in runs)
            spread = statistics.stdev(acc) if len(acc) > 1 else 0.0
            text = f"{statistics.mean(acc):.4f} ± {spread:.4f}"
            if task == "text-topics":
                text += f" (F1 {statistics.mean(f1):.3f})"
            line.append(f"{text}, {len(runs)} seed{'s' if len(runs) > 1 else ''}, {sec:.0f} s")
        print(f"| {mode} | " + " | ".join(line) + " |")
