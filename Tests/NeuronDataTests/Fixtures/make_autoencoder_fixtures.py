"""PyTorch fixtures for the autoencoders of NeuronModels: small versions of the dense and the
convolutional autoencoder and VAE, built with the same parameter names, their state dicts, an
input batch and PyTorch's outputs (codes and reconstructions; for the VAEs the posterior, the
logits at a fixed noise draw and the ELBO), in autoencoders.safetensors (keys prefixed
"dense.", "conv.", "dense_vae.", "conv_vae."; the input is "input", the VAEs' noise "vae_noise").

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


class DenseVAE(nn.Module):
    def __init__(self, hidden=16, latent=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU())
        self.mean = nn.Linear(hidden, latent)
        self.log_variance = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 784))


class ConvVAE(nn.Module):
    def __init__(self, latent=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.ReLU(),
                                     nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten())
        self.mean = nn.Linear(64 * 7 * 7, latent)
        self.log_variance = nn.Linear(64 * 7 * 7, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
                                     nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                                     nn.ConvTranspose2d(32, 1, 3, stride=2, padding=1, output_padding=1), nn.Flatten())


def vae_outputs(model, x, noise):
    """Posterior mean and log-variance, the decoder's logits at μ + σ·noise, and the ELBO per image."""
    h = model.encoder(x)
    mean, log_variance = model.mean(h), model.log_variance(h)
    z = mean + torch.exp(0.5 * log_variance) * noise
    logits = model.decoder(z)
    reconstruction = nn.functional.binary_cross_entropy_with_logits(logits, x.flatten(1), reduction="none").sum(1)
    kl = 0.5 * (mean ** 2 + log_variance.exp() - 1 - log_variance).sum(1)
    return {"mean": mean, "log_variance": log_variance, "logits": logits, "elbo": -(reconstruction + kl)}


torch.manual_seed(0)
x = torch.rand(3, 1, 28, 28)
tensors = {"input": x}
for prefix, model in [("dense", Dense()), ("conv", Conv())]:
    with torch.no_grad():
        tensors[f"{prefix}.output"] = model(x)
        tensors[f"{prefix}.codes"] = model.encoder(x)
    for key, value in model.state_dict().items():
        tensors[f"{prefix}.state.{key}"] = value
noise = torch.randn(3, 4)
tensors["vae_noise"] = noise
for prefix, model in [("dense_vae", DenseVAE()), ("conv_vae", ConvVAE())]:
    with torch.no_grad():
        for key, value in vae_outputs(model, x, noise).items():
            tensors[f"{prefix}.{key}"] = value
    for key, value in model.state_dict().items():
        tensors[f"{prefix}.state.{key}"] = value
save_file({k: v.contiguous() for k, v in tensors.items()},
          os.path.join(os.path.dirname(os.path.abspath(__file__)), "autoencoders.safetensors"))
