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
# The ImageNet transfers share a panel with their target's other runs.
panel_of = {"digits-imagenet": "digits", "fashion-224": "fashion"}
prefix = {"digits": "Fashion-MNIST LeNet ", "digits-imagenet": "ImageNet ", "fashion": "ImageNet ", "fashion-224": "ImageNet 224 px "}
titles = {"digits": "UCI digits (LeNet from Fashion-MNIST; EfficientNet from ImageNet)",
          "fashion": "Fashion-MNIST (EfficientNet-Lite0 from ImageNet, 96 px)",
          "fashion-split": "Fashion-MNIST classes 0-4 to 5-9 (LeNet)", "text-topics": "fortune topics (MiniLM)"}
for r in rows:
    r["panel"] = panel_of.get(r["task"], r["task"])
    scratch = "Transformer scratch" if r["task"] == "text-topics" else "LeNet-5 scratch"
    r["label"] = scratch if r["mode"] == "scratch" else prefix.get(r["task"], "") + r["mode"]
panels = list(dict.fromkeys(r["panel"] for r in rows))
columns = 2 if len(panels) > 2 else len(panels)
lines = (len(panels) + columns - 1) // columns
figure, axes = plt.subplots(lines, columns, figsize=(7 * columns, 4.6 * lines), squeeze=False)
order = ["LeNet-5 scratch", "Transformer scratch", "frozen", "frozen-convs", "finetune", "probe", "Fashion-MNIST LeNet frozen",
         "Fashion-MNIST LeNet frozen-convs", "Fashion-MNIST LeNet finetune", "ImageNet probe", "ImageNet finetune-top",
         "ImageNet finetune", "ImageNet 224 px probe"]
for axis, panel in zip(axes.flat, panels):
    classes = {"digits": 10, "fashion": 10, "fashion-split": 5, "text-topics": 8}.get(panel, 1)
    labels = sorted(dict.fromkeys(r["label"] for r in rows if r["panel"] == panel),
                    key=lambda m: order.index(m) if m in order else len(order))
    for index, label in enumerate(labels):
        groups = defaultdict(list)
        for r in rows:
            if r["panel"] == panel and r["label"] == label:
                per_class = int(r["train_examples"]) / classes if r["labels_per_class"] == "all" else int(r["labels_per_class"])
                groups[per_class].append(float(r["test_accuracy"]))
        xs = sorted(groups)
        axis.errorbar(xs, [statistics.mean(groups[x]) for x in xs],
                      yerr=[statistics.stdev(groups[x]) if len(groups[x]) > 1 else 0 for x in xs], marker="o", capsize=3, label=label,
                      color=f"C{index}",
                      linestyle="--" if label.startswith("ImageNet") else "-")
    axis.set_xscale("log")
    axis.set_xlabel("labelled training examples per class (log scale; the last point: all)")
    axis.set_ylabel("test accuracy")
    axis.set_title(titles.get(panel, panel))
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
for axis in list(axes.flat)[len(panels):]:
    axis.set_visible(False)
figure.tight_layout()
figure.savefig("docs/images/transfer.png", dpi=110)
print("wrote docs/images/transfer.png")
