"""Plots test accuracy against labels per class for each task and mode from
runs/transfer/results.csv (scripts/transfer_sweep.sh): mean over seeds with the spread as
error bars, "all" drawn at the full training-set size per class. Writes docs/images/transfer.png.

    .venv/bin/python scripts/transfer_plot.py [runs/transfer/results.csv]
"""

import csv
import statistics
import sys
from collections import defaultdict

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rows = list(csv.DictReader(open(sys.argv[1] if len(sys.argv) > 1 else "runs/transfer/results.csv")))
tasks = list(dict.fromkeys(r["task"] for r in rows))
figure, axes = plt.subplots(1, len(tasks), figsize=(6 * len(tasks), 4.2))
for axis, task in zip(axes if len(tasks) > 1 else [axes], tasks):
    classes = {"digits": 10, "fashion-split": 5, "text-topics": 8}.get(task, 1)
    order = ["scratch", "frozen", "frozen-convs", "finetune", "probe"]
    modes = sorted(dict.fromkeys(r["mode"] for r in rows if r["task"] == task), key=lambda m: order.index(m) if m in order else len(order))
    for mode in modes:
        groups = defaultdict(list)
        for r in rows:
            if r["task"] == task and r["mode"] == mode:
                per_class = int(r["train_examples"]) / classes if r["labels_per_class"] == "all" else int(r["labels_per_class"])
                groups[per_class].append(float(r["test_accuracy"]))
        xs = sorted(groups)
        axis.errorbar(xs, [statistics.mean(groups[x]) for x in xs],
                      yerr=[statistics.stdev(groups[x]) if len(groups[x]) > 1 else 0 for x in xs], marker="o", capsize=3, label=mode,
                      color=f"C{order.index(mode) if mode in order else len(order)}")
    axis.set_xscale("log")
    axis.set_xlabel("labelled training examples per class (log scale; the last point: all)")
    axis.set_ylabel("test accuracy")
    axis.set_title(task)
    axis.grid(alpha=0.3)
    axis.legend()
figure.tight_layout()
figure.savefig("docs/images/transfer.png", dpi=110)
print("wrote docs/images/transfer.png")
