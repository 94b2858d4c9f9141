"""PyTorch fixtures for the GANs of NeuronModels and NeuronTrain, in gans.safetensors:

- small conditional DCGAN networks (width 4, noise 8, 10 classes) built with the same parameter
  names ("cgan_g.state.*", "cgan_d.state.*"), a noise batch, labels and PyTorch's outputs in
  training mode (batch statistics) and in evaluation mode (running statistics);
- the WGAN-GP gradient penalty of a small DCGAN critic without batch norm ("critic.state.*")
  at fixed real and fake images and interpolation weights: its value and its gradient with
  respect to every critic parameter ("critic.grad.*"), through create_graph=True;
- two feature sets and their Fréchet distance, computed with NumPy's eigenvalues of Σ₁Σ₂.

    .venv/bin/python Tests/NeuronDataTests/Fixtures/make_gan_fixtures.py
"""

import os

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import save_file


class Generator(nn.Module):
    def __init__(self, latent=8, width=4, classes=10, embedding=3):
        super().__init__()
        self.label_embedding = nn.Embedding(classes, embedding)
        self.project = nn.Linear(latent + embedding, 2 * width * 7 * 7)
        self.layers = nn.Sequential(
            nn.Unflatten(1, (2 * width, 7, 7)), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z, labels):
        return self.layers(self.project(torch.cat([z, self.label_embedding(labels)], 1)))


class Discriminator(nn.Module):
    def __init__(self, width=4, classes=10, batch_norm=True):
        super().__init__()
        self.label_embedding = nn.Embedding(classes, 28 * 28) if classes else None
        middle = [nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2)] if batch_norm else [nn.LeakyReLU(0.2)]
        self.layers = nn.Sequential(
            nn.Conv2d(2 if classes else 1, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), *middle, nn.Flatten(), nn.Linear(2 * width * 7 * 7, 1))

    def forward(self, x, labels=None):
        if self.label_embedding is not None:
            x = torch.cat([x, self.label_embedding(labels).reshape(-1, 1, 28, 28)], 1)
        return self.layers(x)


def state(prefix, module):
    return {f"{prefix}.state.{k}": v.detach().clone().contiguous() for k, v in module.state_dict().items()}


def main():
    torch.manual_seed(0)
    out = {}
    g, d = Generator(), Discriminator()
    for module in (g, d):  # make batch-norm statistics and affine parameters non-trivial
        for name, tensor in module.state_dict().items():
            if "running_var" in name:
                tensor.uniform_(0.5, 1.5)
            elif "running_mean" in name or name.endswith("bias"):
                tensor.normal_(0, 0.1)
    out.update(state("cgan_g", g))
    out.update(state("cgan_d", d))
    z = torch.randn(5, 8)
    labels = torch.tensor([0, 3, 9, 3, 7])
    images = torch.rand(5, 1, 28, 28) * 2 - 1
    out["noise"], out["labels"], out["images"] = z, labels, images
    with torch.no_grad():
        g.eval(); d.eval()
        out["cgan_g.eval_output"] = g(z, labels)
        out["cgan_d.eval_output"] = d(images, labels)
        g.train(); d.train()
        out["cgan_g.train_output"] = g(z, labels)
        out["cgan_d.train_output"] = d(images, labels)

    critic = Discriminator(classes=0, batch_norm=False)
    out.update(state("critic", critic))
    real = torch.rand(3, 1, 28, 28) * 2 - 1
    fake = torch.rand(3, 1, 28, 28) * 2 - 1
    alpha = torch.rand(3)
    points = (alpha.view(3, 1, 1, 1) * real + (1 - alpha.view(3, 1, 1, 1)) * fake).requires_grad_(True)
    scores = critic(points)
    grad, = torch.autograd.grad(scores.sum(), points, create_graph=True)
    penalty = ((grad.view(3, -1).norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()
    out["gp.real"], out["gp.fake"], out["gp.alpha"] = real, fake, alpha
    out["gp.penalty"] = penalty.detach().reshape(1)
    for name, parameter in critic.named_parameters():
        # The last bias does not move the gradient with respect to the input: no gradient.
        out[f"critic.grad.{name}"] = torch.zeros_like(parameter) if parameter.grad is None else parameter.grad.clone()

    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(size=(40, 6)) @ rng.normal(size=(6, 6)) + 0.5
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    cross = np.sqrt(np.clip(np.linalg.eigvals(ca @ cb).real, 0, None)).sum()
    fid = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(ca) + np.trace(cb) - 2 * cross
    out["fid.a"], out["fid.b"] = torch.from_numpy(a), torch.from_numpy(b)
    out["fid.value"] = torch.tensor([fid], dtype=torch.float64)

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gans.safetensors")
    save_file({k: v.contiguous() for k, v in out.items()}, path)
    print(f"wrote {path}: {len(out)} tensors; penalty {penalty.item():.6f}, fid {fid:.6f}")


if __name__ == "__main__":
    main()
