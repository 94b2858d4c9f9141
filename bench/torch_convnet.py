"""PyTorch reference for `neuron bench convnet`: Keras' MNIST convnet on Fashion-MNIST.

    Conv2d(1, 32, 3)  - ReLU - MaxPool2d(2)        # [N,32,26,26] -> [N,32,13,13]
    Conv2d(32, 64, 3) - ReLU - MaxPool2d(2)        # [N,64,11,11] -> [N,64,5,5]
    Flatten - Dropout(0.5) - Linear(1600, 10)

built as one nn.Sequential, so the state-dict names are 0.* (conv1), 3.* (conv2) and 8.* (the
Linear layer), as in Neuron's ConvNet. Same protocol as bench/torch_lenet.py: 2 threads, data
preloaded, one epoch of batches of 64, Adam lr 1e-3, only the training loop timed, then the
test accuracy.

    .venv/bin/python bench/torch_convnet.py [--data /usr/share/datasets/fashion-mnist]
"""

import torch.nn as nn

from torch_common import run


def convnet():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5),
        nn.Linear(1600, 10))


if __name__ == "__main__":
    run(convnet, "convnet")
