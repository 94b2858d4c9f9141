"""PyTorch reference for `neuron bench autoencoder`: the dense autoencoder 784-128-32-128-784
(ReLU, sigmoid output) on raw [0, 1] pixels, MSE, Adam 1e-3, batch 64, one shuffled epoch of
Fashion-MNIST preloaded as tensors, 2 threads; then the test MSE. Prints one JSON line in the
same format as Neuron.

    .venv/bin/python bench/torch_autoencoder.py [--data /usr/share/datasets/fashion-mnist] [--batches N]
"""

import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_common import StepClock, load_split


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--model", default="autoencoder")
    parser.add_argument("--batches", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32),
                          nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())
    x = load_split(args.data, "train", standardized=False)[0].flatten(1)
    tx = load_split(args.data, "t10k", standardized=False)[0].flatten(1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(x))
    clock = StepClock()
    for i in range(0, len(x), 64)[:args.batches]:
        batch = x[order[i:i + 64]]
        optimizer.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(batch), batch)
        loss.backward()
        optimizer.step()
        clock.stepped(len(batch))
    timing = clock.fields()
    with torch.no_grad():
        mse = F.mse_loss(model(tx), tx).item()
    print(json.dumps({"name": "autoencoder", **timing,
                      "metric_name": "test_mse", "metric": mse}))


if __name__ == "__main__":
    main()
