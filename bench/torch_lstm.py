"""PyTorch reference for `neuron bench lstm`: Fashion-MNIST read row by row.

    x [N, 1, 28, 28] -> [N, 28, 28] (28 steps of 28 pixels, batch_first)
    nn.LSTM(28, 128, batch_first=True) -> final hidden state h_n[-1] [N, 128]
    nn.Linear(128, 10)

State-dict names lstm.* and fc.*, as Neuron's RowLSTM. Same protocol as
bench/torch_mlp.py: 2 threads, data preloaded as standardised float32 tensors, one epoch,
batch 64, cross-entropy, Adam lr 1e-3, only the training loop timed; then test accuracy.

    .venv/bin/python bench/torch_lstm.py [--data /usr/share/datasets/fashion-mnist]
"""

import torch.nn as nn

from torch_common import run


class RowLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, 128, batch_first=True)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        _, (h, _) = self.lstm(x.reshape(x.shape[0], 28, 28))
        return self.fc(h[-1])


if __name__ == "__main__":
    run(RowLSTM, "lstm")
