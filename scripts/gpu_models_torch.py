"""The model half of the PyTorch side of scripts/gpu-check.sh: one epoch of each model of the
GPU table on the same GPU, PyTorch eager and torch.compile (compile time apart), printed next to
Neuron's figures (neuron_cuda.json from neuron-cuda-check).

The models are Neuron's zoo models written in PyTorch (same layers, sizes and order): MLP
784-256-128-10, LeNet-5, ResNet-20 (3 stages of 3 basic blocks, 16/32/64 channels), an LSTM(128)
over the 28 rows, the convolutional autoencoder (16/32 channels, 32 latent) and the conditional
DCGAN. Fashion-MNIST is preloaded on the GPU; batch 64, Adam 1e-3 (the GAN 2e-4, betas 0.5/0.999),
TF32 off. Needs only torch.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from gpu_check_torch import read_idx, read_safetensors


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        blocks, cin = [], 16
        for cout, stride in [(16, 1), (32, 2), (64, 2)]:
            for i in range(3):
                blocks.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.blocks, self.fc = nn.Sequential(*blocks), nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(self.blocks(self.stem(x)).mean(dim=(2, 3)))


class RowLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm, self.fc = nn.LSTM(28, 128, batch_first=True), nn.Linear(128, 10)

    def forward(self, x):
        out, _ = self.lstm(x.reshape(x.shape[0], 28, 28))
        return self.fc(out[:, -1])


def classifier(name):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    if name == "lenet":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    return {"resnet20": ResNet20, "lstm": RowLSTM}[name]()


def conv_autoencoder():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 49, 32),
        nn.Linear(32, 32 * 49), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
        nn.ConvTranspose2d(32, 16, 3, 2, 1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(16, 1, 3, 2, 1, output_padding=1), nn.Sigmoid())


class Generator(nn.Module):
    def __init__(self, latent=64, width=32, classes=10, embedding=16):
        super().__init__()
        self.embedding = nn.Embedding(classes, embedding)
        self.project = nn.Linear(latent + embedding, 2 * width * 49)
        self.layers = nn.Sequential(
            nn.Unflatten(1, (2 * width, 7, 7)), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh())

    def forward(self, noise, labels):
        return self.layers(self.project(torch.cat([noise, self.embedding(labels)], 1)))


class Discriminator(nn.Module):
    def __init__(self, width=32, classes=10):
        super().__init__()
        self.embedding = nn.Embedding(classes, 784)
        self.layers = nn.Sequential(
            nn.Conv2d(2, width, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(2 * width * 49, 1))

    def forward(self, images, labels):
        return self.layers(torch.cat([images, self.embedding(labels).reshape(-1, 1, 28, 28)], 1))


def epoch(step, batches, warmup):
    """Seconds for `batches` calls of step(i) after `warmup` untimed ones (compilation)."""
    start = time.perf_counter()
    for i in range(warmup):
        step(i)
    torch.cuda.synchronize()
    compile_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(warmup, batches):
        step(i)
    torch.cuda.synchronize()
    return (batches - warmup) * 64 / (time.perf_counter() - start), compile_seconds


def run(name, data, device, compiled, limit=0):
    torch.manual_seed(0)
    x = read_idx(f"{data}/train-images-idx3-ubyte.gz").float().div(255).reshape(-1, 1, 28, 28).to(device)
    y = read_idx(f"{data}/train-labels-idx1-ubyte.gz").long().to(device)
    order = torch.randperm(len(x), device=device)
    batches = min(len(x) // 64, limit or len(x))
    if name == "cgan":
        g, d = Generator().to(device), Discriminator().to(device)
        og = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
        od = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
        gs, ds = (torch.compile(g), torch.compile(d)) if compiled else (g, d)
        ones, zeros = torch.ones(64, 1, device=device), torch.zeros(64, 1, device=device)

        def step(i):
            index = order[i * 64 : (i + 1) * 64]
            real, labels = x[index] * 2 - 1, y[index]
            fake = gs(torch.randn(64, 64, device=device), labels)
            loss = F.binary_cross_entropy_with_logits(ds(real, labels), ones) + F.binary_cross_entropy_with_logits(
                ds(fake.detach(), labels), zeros)
            od.zero_grad(set_to_none=True)
            loss.backward()
            od.step()
            og.zero_grad(set_to_none=True)
            F.binary_cross_entropy_with_logits(ds(fake, labels), ones).backward()
            og.step()
    else:
        model = (conv_autoencoder() if name == "conv-autoencoder" else classifier(name)).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        forward = torch.compile(model) if compiled else model
        if name != "conv-autoencoder":
            x = (x - 0.2860) / 0.3530

        def step(i):
            index = order[i * 64 : (i + 1) * 64]
            out = forward(x[index])
            loss = F.mse_loss(out, x[index]) if name == "conv-autoencoder" else F.cross_entropy(out, y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    return epoch(step, batches, 5 if compiled else 2)


def minilm(results, device):
    """MiniLM-L6's encoder with the weights and sentences neuron-cuda-check wrote (attention by
    F.scaled_dot_product_attention), batched as Neuron batches them: sentences/s on the GPU and
    the largest difference from Neuron's GPU embeddings."""
    w = {k: v.to(device) for k, v in read_safetensors(f"{results}/minilm.safetensors").items()}
    inputs = read_safetensors(f"{results}/minilm_inputs.safetensors")
    ids, lengths, order = inputs["ids"], inputs["lengths"], inputs["order"].tolist()
    layers = 1 + max(int(k.split(".")[2]) for k in w if k.startswith("encoder.layer."))
    width = w["embeddings.word_embeddings.weight"].shape[1]
    heads = 12

    def norm(x, p):
        return F.layer_norm(x, (width,), w[p + ".weight"], w[p + ".bias"], 1e-12)

    def linear(x, p):
        return F.linear(x, w[p + ".weight"], w[p + ".bias"])

    def encode(batch, mask):
        n, t = batch.shape
        x = w["embeddings.word_embeddings.weight"][batch] + w["embeddings.position_embeddings.weight"][:t]
        x = norm(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
        allowed = mask[:, None, None, :]
        for i in range(layers):
            p = f"encoder.layer.{i}"
            q, k, v = (linear(x, f"{p}.attention.self.{n_}").view(n, t, heads, -1).transpose(1, 2) for n_ in ("query", "key", "value"))
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed).transpose(1, 2).reshape(n, t, width)
            x = norm(linear(a, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
            x = norm(linear(F.gelu(linear(x, f"{p}.intermediate.dense")), f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        m = mask[:, :, None].float()
        return (x * m).sum(1) / m.sum(1).clamp(min=1e-9)

    def embed():
        rows = [None] * len(order)
        with torch.no_grad():
            for first in range(0, len(order), 32):
                members = order[first : first + 32]
                length = int(lengths[members[0]])
                batch = ids[members, :length].to(device)
                mask = (torch.arange(length)[None, :] < lengths[members][:, None]).to(device)
                pooled = encode(batch, mask).cpu()
                for row, index in enumerate(members):
                    rows[index] = pooled[row]
        return torch.stack(rows)

    embed()
    start = time.perf_counter()
    ours = embed()
    rate = len(order) / (time.perf_counter() - start)
    error = ((ours - inputs["embeddings"]).abs().max() / inputs["embeddings"].abs().max().clamp(min=1)).item()
    return rate, error


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--neuron", required=True)
    parser.add_argument("--models", default="mlp,lenet,resnet20,lstm,conv-autoencoder,cgan")
    parser.add_argument("--compile", default="mlp,lenet,resnet20", help="models also timed under torch.compile")
    parser.add_argument("--minilm", help="the folder with neuron-cuda-check's minilm*.safetensors")
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device("cuda")
    with open(args.neuron) as f:
        neuron = json.load(f)
    rows, status = [], 0
    for name in [m for m in args.models.split(",") if m != "minilm"]:
        eager, _ = run(name, args.data, device, compiled=False)
        compiled, compile_seconds = (None, None)
        if name in args.compile.split(","):
            try:
                compiled, compile_seconds = run(name, args.data, device, compiled=True)
            except Exception as error:  # torch.compile needs a compiler toolchain that may be missing
                print(f"{name}: torch.compile failed: {str(error).splitlines()[0]}")
        ours = neuron.get(f"{name}_cuda_samples_per_s", 0)
        best = max(eager, compiled or 0)
        print(json.dumps({"name": name, "torch_eager": eager, "torch_compile": compiled, "compile_seconds": compile_seconds}))
        rows.append(
            f"| {name} | {ours:,.0f} | {neuron.get(f'{name}_cuda_eager_samples_per_s', 0):,.0f} | "
            f"{neuron.get(f'{name}_cuda_bf16_samples_per_s', 0):,.0f} | {eager:,.0f} | "
            f"{'–' if compiled is None else f'{compiled:,.0f} ({compile_seconds:.0f} s)'} | {ours / best:.2f}× |")
    print("\n| model, one epoch, samples/s | Neuron (graphs) | Neuron (op by op) | Neuron (bf16) | PyTorch eager "
          "| torch.compile (compile time) | Neuron / best PyTorch |\n|---|---|---|---|---|---|---|")
    if args.minilm and os.path.exists(f"{args.minilm}/minilm.safetensors"):
        rate, error = minilm(args.minilm, device)
        ours = neuron.get("minilm_cuda_sentences_per_s", 0)
        print(f"{'ok  ' if error <= 1e-4 else 'FAIL'} torch MiniLM-L6 embeddings: {error:.1e} from Neuron's")
        status = 0 if error <= 1e-4 else 1
        rows.append(f"| MiniLM-L6 embeddings, 1,000 sentences, sentences/s | {ours:,.0f} | | | {rate:,.0f} | | {ours / rate:.2f}× |")
    print("\n".join(rows))
    sys.exit(status)


if __name__ == "__main__":
    main()
