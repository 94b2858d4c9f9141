"""Checks that Python reads what `neuron train` writes: the model weights (safetensors) load
into the same PyTorch architecture and give the same test accuracy, the training checkpoint
parses, TensorBoard's EventAccumulator reads the event file, and metrics.csv is a table.

    .venv/bin/python scripts/check_interop.py runs/mlp      # after: neuron train --model mlp --out runs/mlp
    .venv/bin/python scripts/check_interop.py runs/convnet  # mlp, lenet or convnet: the file's metadata says which

Needs torch, safetensors and tensorboard (`make venv` installs them). Exits non-zero on a mismatch.
"""

import csv
import glob
import os
import sys

import torch
import torch.nn as nn
from safetensors import safe_open
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from torch_common import load_split  # noqa: E402  (the benchmarks' Fashion-MNIST loader)

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530

# The PyTorch modules whose state-dict names Neuron's classifiers use.
ARCHITECTURES = {
    "mlp": lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)),
    "lenet": lambda: nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)),
    "convnet": lambda: nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Dropout(0.5), nn.Linear(1600, 10)),
}


def main(run):
    with safe_open(f"{run}/model.safetensors", "pt") as f:
        name = f.metadata()["model"]
        state = {key: f.get_tensor(key) for key in f.keys()}
    model = ARCHITECTURES[name]()
    model.load_state_dict(state, strict=True)
    model.eval()
    images, labels = load_split(DATA, "t10k")
    images = images.reshape(-1, 1, 28, 28)
    with torch.no_grad():
        accuracy = (model((images - MEAN) / STD).argmax(1) == labels).float().mean().item()
    print(f"PyTorch {name} with Neuron's weights (strict load): test accuracy {accuracy:.4f}")

    with safe_open(f"{run}/checkpoint.safetensors", "pt") as f:
        keys = list(f.keys())
        metadata = f.metadata()
    assert metadata["format"] == "neuron-training-checkpoint", metadata
    assert any(k.startswith("optimizer.state.") for k in keys) and "progress.epoch" in keys, keys
    print(f"checkpoint: {len(keys)} tensors, metadata {sorted(metadata)}")

    events = glob.glob(f"{run}/tb/events.out.tfevents.*")
    assert events, "no event file"
    accumulator = EventAccumulator(sorted(events)[-1])  # the newest run
    accumulator.Reload()
    tags = accumulator.Tags()["scalars"]
    assert "loss/train" in tags and "accuracy/validation" in tags, tags
    final = accumulator.Scalars("accuracy/validation")[-1].value
    print(f"TensorBoard: {len(tags)} scalar tags, last validation accuracy {final:.4f}")

    with open(f"{run}/metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows and list(rows[0])[0] == "epoch", rows[:1]
    logged = float(rows[-1]["val_accuracy"])
    print(f"metrics.csv: {len(rows)} epochs, last val_accuracy {logged:.4f}")
    if abs(logged - accuracy) > 1e-4 or abs(final - accuracy) > 1e-4:
        sys.exit(f"accuracy mismatch: PyTorch {accuracy}, metrics.csv {logged}, TensorBoard {final}")
    print("interop OK")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/mlp")
