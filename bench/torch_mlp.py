"""PyTorch reference for `neuron bench mlp`: the same MLP (784-256-128-10, ReLU), Adam 1e-3,
batch 64, one shuffled epoch of Fashion-MNIST preloaded as tensors, 2 threads; then test
accuracy. Prints one JSON line in the same format as Neuron.

    .venv/bin/python bench/torch_mlp.py [--data /usr/share/datasets/fashion-mnist]
"""

import torch.nn as nn

from torch_common import run


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


if __name__ == "__main__":
    run(mlp, "mlp")
