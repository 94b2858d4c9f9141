"""Checks that PyTorch reads the networks `neuron train --model cgan` writes: generator.safetensors
and discriminator.safetensors load strictly into the same PyTorch modules (the classes of the GAN
fixture script, at the zoo's sizes), and PyTorch's generator maps the same noise and labels to
the images `neuron generate --noise` writes.

    .venv/bin/python scripts/check_gan_interop.py runs/cgan [path/to/neuron]

Needs torch, safetensors and numpy (`make venv`). Exits non-zero on a mismatch.
"""

import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "NeuronDataTests", "Fixtures"))
from make_gan_fixtures import Discriminator, Generator  # noqa: E402


def main(run, neuron):
    generator = Generator(latent=64, width=32, classes=10, embedding=16)
    generator.load_state_dict(load_file(f"{run}/generator.safetensors"), strict=True)
    discriminator = Discriminator(width=32, classes=10)
    discriminator.load_state_dict(load_file(f"{run}/discriminator.safetensors"), strict=True)
    generator.eval()
    noise = torch.randn(20, 64, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(20) % 10
    with tempfile.TemporaryDirectory() as folder:
        np.save(f"{folder}/z.npy", noise.numpy())
        subprocess.run([neuron, "generate", "--checkpoint", f"{run}/generator.safetensors", "--noise", f"{folder}/z.npy",
                        "--output", f"{folder}/x.npy"], check=True, stdout=subprocess.DEVNULL)
        ours = torch.from_numpy(np.load(f"{folder}/x.npy"))
    with torch.no_grad():
        theirs = (generator(noise, labels) + 1) / 2
        scores = discriminator(theirs * 2 - 1, labels)
    difference = (ours - theirs).abs().max().item()
    print(f"generator: max |Neuron − PyTorch| = {difference:.2e} over {tuple(ours.shape)}; "
          f"discriminator: mean D(G(z)) = {torch.sigmoid(scores).mean().item():.3f}")
    if difference > 1e-4:
        sys.exit("gan interop FAILED: outputs differ")
    print("gan interop OK")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/cgan", sys.argv[2] if len(sys.argv) > 2 else ".build/release/neuron")
