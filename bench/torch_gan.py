"""PyTorch reference for `neuron bench gan`: the MLP GAN (G 64-256-512-784 with LeakyReLU 0.2
and tanh, D 784-512-256-1 with LeakyReLU 0.2) on Fashion-MNIST scaled to [-1, 1], batch 64,
Adam 2e-4 with betas (0.5, 0.999) for both networks, one discriminator and one generator
update per batch, binary cross-entropy on logits, data preloaded as tensors, 2 threads. Prints
one JSON line in the format of `neuron bench` (metric: the last discriminator loss).

    .venv/bin/python bench/torch_gan.py [--data /usr/share/datasets/fashion-mnist] [--batches 300]
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
    parser.add_argument("--model", default="gan")
    parser.add_argument("--batches", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    generator = nn.Sequential(nn.Linear(64, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512), nn.LeakyReLU(0.2),
                              nn.Linear(512, 784), nn.Tanh())
    discriminator = nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2),
                                  nn.Linear(256, 1))
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    images = load_split(args.data, "train", standardized=False)[0].flatten(1) * 2 - 1
    order = torch.randperm(len(images))
    ones, zeros = torch.ones(64, 1), torch.zeros(64, 1)
    clock = StepClock()
    for i in range(0, len(images) - 63, 64)[:args.batches]:
        real = images[order[i:i + 64]]
        fake = generator(torch.randn(64, 64))
        d_loss = F.binary_cross_entropy_with_logits(discriminator(real), ones) + \
            F.binary_cross_entropy_with_logits(discriminator(fake.detach()), zeros)
        d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        d_optimizer.step()
        g_loss = F.binary_cross_entropy_with_logits(discriminator(fake), ones)
        g_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        g_optimizer.step()
        clock.stepped(len(real))
    timing = clock.fields()
    print(json.dumps({"name": "gan", **timing,
                      "metric_name": "final_d_loss", "metric": d_loss.item()}))


if __name__ == "__main__":
    main()
