"""PyTorch reference for `neuron bench resnet20`: ResNet-20 (He et al. 2016, the CIFAR
variant: 6n+2 layers with n = 3) on 1x28x28 Fashion-MNIST.

Architecture (every conv is 3x3, padding 1, bias=False, unless stated; BN = BatchNorm2d
with PyTorch's defaults eps=1e-5, momentum=0.1, affine, running stats):

    conv1  Conv2d(1, 16, 3, padding=1) ; bn1 BN(16) ; ReLU          -> [N,16,28,28]
    layer1 3 x BasicBlock(16 -> 16, stride 1)                       -> [N,16,28,28]
    layer2 BasicBlock(16 -> 32, stride 2) + 2 x BasicBlock(32 -> 32) -> [N,32,14,14]
    layer3 BasicBlock(32 -> 64, stride 2) + 2 x BasicBlock(64 -> 64) -> [N,64,7,7]
    avgpool AdaptiveAvgPool2d(1) ; Flatten                          -> [N,64]
    fc     Linear(64, 10)  (with bias)

    BasicBlock(cin -> cout, stride s):
        out = ReLU(bn1(conv1(x)))          conv1: Conv2d(cin, cout, 3, stride=s, padding=1)
        out = bn2(conv2(out))              conv2: Conv2d(cout, cout, 3, padding=1)
        out = ReLU(out + shortcut(x))
    shortcut = identity when s == 1 and cin == cout (stages 1-3, except below); in the
    first block of layer2 and layer3 it is nn.Sequential(Conv2d(cin, cout, 1, stride=2,
    bias=False), BatchNorm2d(cout)) (the "option B" projection shortcut).

State-dict names (PyTorch's default initialisation after torch.manual_seed(0); the
modules are constructed in this order; each BatchNorm2d contributes .weight, .bias,
.running_mean, .running_var, .num_batches_tracked):

    conv1.weight [16,1,3,3]                bn1.*  [16]
    layer1.{0,1,2}.conv1.weight [16,16,3,3]  layer1.{0,1,2}.bn1.* [16]
    layer1.{0,1,2}.conv2.weight [16,16,3,3]  layer1.{0,1,2}.bn2.* [16]
    layer2.0.conv1.weight [32,16,3,3]        layer2.0.bn1.* [32]
    layer2.0.conv2.weight [32,32,3,3]        layer2.0.bn2.* [32]
    layer2.0.shortcut.0.weight [32,16,1,1]   layer2.0.shortcut.1.* [32]
    layer2.{1,2}.conv1/conv2.weight [32,32,3,3]  layer2.{1,2}.bn1/bn2.* [32]
    layer3.0.conv1.weight [64,32,3,3]        layer3.0.bn1.* [64]
    layer3.0.conv2.weight [64,64,3,3]        layer3.0.bn2.* [64]
    layer3.0.shortcut.0.weight [64,32,1,1]   layer3.0.shortcut.1.* [64]
    layer3.{1,2}.conv1/conv2.weight [64,64,3,3]  layer3.{1,2}.bn1/bn2.* [64]
    fc.weight [10,64]  fc.bias [10]
    (avgpool and the identity shortcuts have no state; 272,186 parameters.)

Same protocol as bench/torch_mlp.py: 2 threads, the data preloaded as float32 tensors
standardised (mean 0.2860, std 0.3530), one epoch over the 60,000 training images in an order
drawn by torch.randperm, batch 64 (the last batch has 32), cross-entropy, Adam lr 1e-3
(no weight decay), model.train() for the epoch; only the training loop is timed. Then
test accuracy on the 10,000 test images in batches of 1000 under torch.no_grad() and
model.eval() (BatchNorm uses its running statistics). Prints one JSON line in the same
format as Neuron.

    .venv/bin/python bench/torch_resnet20.py [--data /usr/share/datasets/fashion-mnist]
    .venv/bin/python bench/torch_resnet20.py --names    # print the state-dict names, shapes
"""

import torch.nn as nn
import torch.nn.functional as F

from torch_common import run


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(cout))
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet20(nn.Module):
    def __init__(self, num_classes=10, in_channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._stage(16, 16, 1)
        self.layer2 = self._stage(16, 32, 2)
        self.layer3 = self._stage(32, 64, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, num_classes)

    @staticmethod
    def _stage(cin, cout, stride, blocks=3):
        return nn.Sequential(BasicBlock(cin, cout, stride),
                             *[BasicBlock(cout, cout, 1) for _ in range(blocks - 1)])

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.flatten(self.avgpool(x)))


def names_flag(parser):
    parser.add_argument("--names", action="store_true", help="print state-dict names and shapes, then exit")


if __name__ == "__main__":
    run(ResNet20, "resnet20", names_flag)
