"""PyTorch reference for `neuron bench mlp`: the same MLP (784-256-128-10, ReLU), Adam 1e-3,
batch 64, one shuffled epoch of Fashion-MNIST preloaded as tensors, 2 threads; then test
accuracy. Prints one JSON line in the same format as Neuron.

    .venv/bin/python bench/torch_mlp.py [--data /usr/share/datasets/fashion-mnist]
"""

import argparse
import gzip
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--model", default="mlp")
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    x = torch.from_numpy(load_idx(f"{args.data}/train-images-idx3-ubyte.gz").astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(load_idx(f"{args.data}/train-labels-idx1-ubyte.gz").astype(np.int64))
    tx = torch.from_numpy(load_idx(f"{args.data}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    ty = torch.from_numpy(load_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(x))
    start = time.perf_counter()
    for i in range(0, len(x), 64):
        idx = order[i:i + 64]
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        accuracy = (model(tx).argmax(1) == ty).float().mean().item()
    print(json.dumps({"name": args.model, "samples_per_s": len(x) / seconds, "train_seconds": seconds,
                      "metric_name": "test_accuracy", "metric": accuracy, "framework": "pytorch"}, separators=(",", ":")))


if __name__ == "__main__":
    main()
