"""EfficientNet-Lite0 inference in PyTorch (2 threads, eval, no grad) on 32 random 224 x 224
images, the same architecture as Neuron's EfficientNetLite0 (TensorFlow "same" padding, ReLU6,
no squeeze-and-excitation), built from torch.nn modules: images/s, median of 3 after 1 warm-up.
Also with torch.compile when it works.

    .venv/bin/python bench/torch_efficientnet.py
"""
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)


class SameConv(nn.Conv2d):
    def forward(self, x):
        k, s = self.kernel_size[0], self.stride[0]

        def split(n):
            o = (n + s - 1) // s
            t = max((o - 1) * s + k - n, 0)
            return t // 2, t - t // 2

        t, b = split(x.shape[2])
        l, r = split(x.shape[3])
        return super().forward(F.pad(x, (l, r, t, b)))


class Block(nn.Module):
    def __init__(self, i, o, k, s, e):
        super().__init__()
        h = i * e
        self.expand = nn.Sequential(nn.Conv2d(i, h, 1, bias=False), nn.BatchNorm2d(h, eps=1e-3), nn.ReLU6()) if e != 1 else nn.Identity()
        self.depthwise = nn.Sequential(SameConv(h, h, k, s, groups=h, bias=False), nn.BatchNorm2d(h, eps=1e-3), nn.ReLU6())
        self.project = nn.Sequential(nn.Conv2d(h, o, 1, bias=False), nn.BatchNorm2d(o, eps=1e-3))
        self.residual = s == 1 and i == o

    def forward(self, x):
        y = self.project(self.depthwise(self.expand(x)))
        return y + x if self.residual else y


def lite0():
    layers = [SameConv(3, 32, 3, 2, bias=False), nn.BatchNorm2d(32, eps=1e-3), nn.ReLU6()]
    c = 32
    for r, k, s, e, o in [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]:
        for j in range(r):
            layers.append(Block(c, o, k, s if j == 0 else 1, e))
            c = o
    layers += [nn.Conv2d(c, 1280, 1, bias=False), nn.BatchNorm2d(1280, eps=1e-3), nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
               nn.Dropout(0.2), nn.Linear(1280, 1000)]
    return nn.Sequential(*layers).eval()


def measure(model, x):
    with torch.no_grad():
        model(x)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    return x.shape[0] / sorted(times)[1]


model = lite0()
x = torch.rand(32, 3, 224, 224) * 255 / 128 - 127 / 128
print(json.dumps({"name": "torch_efficientnet_lite0_inference", "images_per_s": round(measure(model, x), 2)}))
try:
    print(json.dumps({"name": "torch_compile_efficientnet_lite0_inference", "images_per_s": round(measure(torch.compile(model), x), 2)}))
except Exception as error:  # torch.compile needs a C compiler; report why it did not run
    print(json.dumps({"name": "torch_compile_efficientnet_lite0_inference", "error": str(error).splitlines()[0][:120]}))
