"""PyTorch reference for `neuron bench lenet`: LeNet-5 on Fashion-MNIST.

    Conv2d(1, 6, 5, padding=2) - ReLU - MaxPool2d(2)        # [N,6,28,28] -> [N,6,14,14]
    Conv2d(6, 16, 5)           - ReLU - MaxPool2d(2)        # [N,16,10,10] -> [N,16,5,5]
    Flatten - Linear(400, 120) - ReLU - Linear(120, 84) - ReLU - Linear(84, 10)

built as one nn.Sequential, so the state-dict names are 0.weight/0.bias (conv1),
3.weight/3.bias (conv2), 7.* / 9.* / 11.* (the three Linear layers); PyTorch's
default initialisation after torch.manual_seed(0).

Same protocol as bench/torch_mlp.py: 2 threads, the data preloaded as float32 tensors
standardised (mean 0.2860, std 0.3530), one epoch over the 60,000 training images in an order
drawn by torch.randperm, batch 64 (the last batch has 32), cross-entropy, Adam lr 1e-3;
only the training loop is timed. Then test accuracy on the 10,000 test images in
batches of 1000 under torch.no_grad() and model.eval(). Prints one JSON line in the
same format as Neuron.

    .venv/bin/python bench/torch_lenet.py [--data /usr/share/datasets/fashion-mnist]
"""

import torch.nn as nn

from torch_common import run


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


if __name__ == "__main__":
    run(lenet5, "lenet")
