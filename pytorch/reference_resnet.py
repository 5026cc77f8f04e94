"""The seed's ResNet in PyTorch (kuangliu/pytorch-cifar's model, which the seed's BasicBlock/Resnet/Resnet18 copy),
extended as packages/resnet extends it: Bottleneck blocks for resnet50/101/152, an ImageNet stem, a width multiplier
and a class count. Module names, and so state_dict keys and shapes, are those of packages/resnet (resnet-plan.ts).

The projection shortcut (1x1 conv + batch norm) is used where the stride is not 1 or the channel count changes, as in
pytorch-cifar; the seed's BasicBlock tests the stride only, which for ResNet18/34 is the same thing. Global average
pooling before `linear` is the seed's F.avg_pool2d(out, 4) at 32x32 input, for any input size. Initialization is
PyTorch's default (each module's reset_parameters), which the seed uses.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

BASE_FILTERS = 64
STEMS = ("cifar", "imagenet")


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (strided) -> 1x1 with 4x the planes out ("ResNet v1.5", as torchvision and pytorch-cifar)."""

    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, self.expansion * planes, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(self.expansion * planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += self.shortcut(x)
        return F.relu(out)


def base_filters(width: float) -> int:
    """First-stage filters: 64 at width 1, rounded half up as JavaScript's Math.round (Python's round is half-even)."""
    return max(1, math.floor(BASE_FILTERS * width + 0.5))


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, classes: int = 10, stem: str = "cifar", width: float = 1.0):
        super().__init__()
        if stem not in STEMS:
            raise ValueError(f"Unknown stem '{stem}'. Allowed: {', '.join(STEMS)}.")
        filters = base_filters(width)
        self.in_planes = filters
        if stem == "cifar":
            self.conv1 = nn.Conv2d(3, filters, kernel_size=3, stride=1, padding=1, bias=False)
            self.maxpool = None
        else:
            self.conv1 = nn.Conv2d(3, filters, kernel_size=7, stride=2, padding=3, bias=False)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(filters)
        self.layer1 = self._make_layer(block, filters, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, filters * 2, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, filters * 4, num_blocks[2], stride=2)
        self.layer4 = self._make_layer(block, filters * 8, num_blocks[3], stride=2)
        self.linear = nn.Linear(filters * 8 * block.expansion, classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        if self.maxpool is not None:
            out = self.maxpool(out)
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        out = self.layer4(out)
        # [batch, channels, h, w] -> [batch, channels]
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


ARCHITECTURES = {
    "resnet18": (BasicBlock, [2, 2, 2, 2]),
    "resnet34": (BasicBlock, [3, 4, 6, 3]),
    "resnet50": (Bottleneck, [3, 4, 6, 3]),
    "resnet101": (Bottleneck, [3, 4, 23, 3]),
    "resnet152": (Bottleneck, [3, 8, 36, 3]),
}


def build_resnet(arch: str, classes: int = 10, stem: str = "cifar", width: float = 1.0) -> ResNet:
    if arch not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture '{arch}'. Allowed: {', '.join(ARCHITECTURES)}.")
    block, num_blocks = ARCHITECTURES[arch]
    return ResNet(block, num_blocks, classes=classes, stem=stem, width=width)


def ResNet18(classes: int = 10) -> ResNet:
    """The seed's Resnet18()."""
    return build_resnet("resnet18", classes)
