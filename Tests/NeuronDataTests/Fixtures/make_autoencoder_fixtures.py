"""PyTorch fixtures for the autoencoders of NeuronModels: small versions of the dense and the
convolutional autoencoder, built with the same parameter names, their state dicts, an input
batch and PyTorch's outputs and codes, in autoencoders.safetensors (keys prefixed "dense." and
"conv."; the input is "input").

    .venv/bin/python Tests/NeuronDataTests/Fixtures/make_autoencoder_fixtures.py
"""

import os

import torch
import torch.nn as nn
from safetensors.torch import save_file


class Dense(nn.Module):
    def __init__(self, hidden=16, latent=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 784), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x)).reshape(x.shape)


class Conv(nn.Module):
    def __init__(self, latent=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
                                     nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
                                     nn.Flatten(), nn.Linear(32 * 7 * 7, latent))
        self.decoder = nn.Sequential(nn.Linear(latent, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
                                     nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                                     nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


torch.manual_seed(0)
x = torch.rand(3, 1, 28, 28)
tensors = {"input": x}
for prefix, model in [("dense", Dense()), ("conv", Conv())]:
    with torch.no_grad():
        tensors[f"{prefix}.output"] = model(x)
        tensors[f"{prefix}.codes"] = model.encoder(x)
    for key, value in model.state_dict().items():
        tensors[f"{prefix}.state.{key}"] = value
save_file({k: v.contiguous() for k, v in tensors.items()},
          os.path.join(os.path.dirname(os.path.abspath(__file__)), "autoencoders.safetensors"))
