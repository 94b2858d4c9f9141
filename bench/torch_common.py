"""Shared protocol of the PyTorch model benchmarks (torch_mlp.py, torch_lenet.py,
torch_resnet20.py): 2 threads, Fashion-MNIST preloaded as float32 tensors, scaled to [0, 1] and
standardised with the training set's mean 0.2860 and standard deviation 0.3530, one
epoch over the 60,000 training images in a torch.randperm order, batch 64, cross-entropy,
Adam lr 1e-3, only the training loop timed; then test accuracy in batches of 1,000 under
torch.no_grad() and model.eval(). Prints one JSON line in the format of `neuron bench`.
"""

import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F

from fmnist import read_idx


class StepClock:
    """Times a loop as jax_bench.py and `neuron bench` do: the first step apart (reported as
    first_step_seconds), the rate over every later step."""

    def __init__(self):
        self.began, self.start, self.first, self.seen, self.steps = time.perf_counter(), None, 0.0, 0, 0

    def stepped(self, examples):
        self.steps += 1
        if self.steps == 1:
            self.start = time.perf_counter()
            self.first, self.first_examples = self.start - self.began, examples
        else:
            self.seen += examples

    def fields(self):
        end = time.perf_counter()
        if self.steps < 2:
            seconds = end - self.began
            return {"samples_per_s": self.first_examples / seconds, "train_seconds": seconds, "first_step_seconds": seconds}
        seconds = end - self.start
        return {"samples_per_s": self.seen / seconds, "train_seconds": seconds, "first_step_seconds": self.first}


def load_split(folder, prefix, standardized=True):
    """Images [N, 1, 28, 28] (standardised unless `standardized` is false: raw [0, 1]) and labels."""
    images = torch.from_numpy(read_idx(f"{folder}/{prefix}-images-idx3-ubyte.gz").astype(np.float32) / 255)
    if standardized:
        images = (images - 0.2860) / 0.3530
    labels = torch.from_numpy(read_idx(f"{folder}/{prefix}-labels-idx1-ubyte.gz").astype(np.int64))
    return images.reshape(-1, 1, 28, 28), labels


def run(make_model, name, extra_arguments=None):
    """Parses --data/--model, builds the model after seeding, trains one epoch, evaluates."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--model", default=name)
    parser.add_argument("--batches", type=int, default=None, help="stop the epoch after N batches")
    if extra_arguments:
        extra_arguments(parser)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = make_model()
    if getattr(args, "names", False):
        for key, value in model.state_dict().items():
            print(key, list(value.shape))
        return
    x, y = load_split(args.data, "train")
    tx, ty = load_split(args.data, "t10k")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(x))
    model.train()
    clock = StepClock()
    for i in range(0, len(x), 64)[:args.batches]:
        idx = order[i:i + 64]
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
        clock.stepped(len(idx))
    timing = clock.fields()
    model.eval()
    with torch.no_grad():
        correct = sum((model(tx[i:i + 1000]).argmax(1) == ty[i:i + 1000]).sum().item() for i in range(0, len(tx), 1000))
    print(json.dumps({"name": args.model, **timing,
                      "metric_name": "test_accuracy", "metric": correct / len(tx), "framework": "pytorch"},
                     separators=(",", ":")))
