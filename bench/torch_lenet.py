"""PyTorch reference for `neuron bench lenet`: LeNet-5 on Fashion-MNIST.

    Conv2d(1, 6, 5, padding=2) - ReLU - MaxPool2d(2)        # [N,6,28,28] -> [N,6,14,14]
    Conv2d(6, 16, 5)           - ReLU - MaxPool2d(2)        # [N,16,10,10] -> [N,16,5,5]
    Flatten - Linear(400, 120) - ReLU - Linear(120, 84) - ReLU - Linear(84, 10)

built as one nn.Sequential, so the state-dict names are 0.weight/0.bias (conv1),
3.weight/3.bias (conv2), 7.* / 9.* / 11.* (the three Linear layers); PyTorch's
default initialisation after torch.manual_seed(0).

Same protocol as bench/torch_mlp.py: 2 threads, the data preloaded as float32 tensors
in [0, 1] (no normalisation), one epoch over the 60,000 training images in an order
drawn by torch.randperm, batch 64 (the last batch has 32), cross-entropy, Adam lr 1e-3;
only the training loop is timed. Then test accuracy on the 10,000 test images in
batches of 1000 under torch.no_grad() and model.eval(). Prints one JSON line in the
same format as Neuron.

    .venv/bin/python bench/torch_lenet.py [--data /usr/share/datasets/fashion-mnist]
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


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--model", default="lenet")
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    x = torch.from_numpy(load_idx(f"{args.data}/train-images-idx3-ubyte.gz").astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(load_idx(f"{args.data}/train-labels-idx1-ubyte.gz").astype(np.int64))
    tx = torch.from_numpy(load_idx(f"{args.data}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    ty = torch.from_numpy(load_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    model = lenet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(x))
    model.train()
    start = time.perf_counter()
    for i in range(0, len(x), 64):
        idx = order[i:i + 64]
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(tx), 1000):
            correct += (model(tx[i:i + 1000]).argmax(1) == ty[i:i + 1000]).sum().item()
    accuracy = correct / len(tx)
    print(json.dumps({"name": args.model, "samples_per_s": len(x) / seconds, "train_seconds": seconds,
                      "metric_name": "test_accuracy", "metric": accuracy, "framework": "pytorch"}, separators=(",", ":")))


if __name__ == "__main__":
    main()
