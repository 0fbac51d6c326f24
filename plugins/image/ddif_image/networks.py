"""Cross-architecture evaluation networks in their dataset-distillation variants.

The dataset-distillation literature (DC, DSA, DM, MTT and the DDiF paper's Table 5) evaluates a
set distilled with ConvNet on other architectures. These are the usual variants, written to work
on 28, 32, 128 and 256 px images:

* ``alexnet``: five convolutions (5x5, 5x5, 3x3, 3x3, 3x3; 128-192-256-192-192 filters), ReLU,
  three 2x2 max-pools, no normalisation, a linear classifier.
* ``vgg11``: VGG-11's convolutions (64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M) with
  instance normalisation, then global average pooling and a linear classifier (at 32 px the
  feature map is already 1x1, as in the literature).
* ``resnet18``: ResNet-18 (basic blocks 2-2-2-2, 64-128-256-512 channels) with instance
  normalisation; a 3x3 stride-1 stem up to 64 px, the ImageNet 7x7 stride-2 stem and max-pool above.
* ``vit``: a small Vision Transformer (8x8 patches grid, width 256, 6 pre-norm blocks, 8 heads,
  MLP 512, class token).

"Instance" normalisation is ``GroupNorm`` with one group per channel and an affine transform, as
in ConvNet. A 28x28 input gets padding so that it is handled like a 32x32 one. Every network has
``forward(x) -> (B, num_classes)`` and ``embed(x) -> (B, F)``, and works under ``torch.func``
(no buffers, no in-place ops on inputs).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["AlexNet", "VGG11", "ResNet18", "ViT", "instance_norm"]


def instance_norm(channels: int) -> nn.GroupNorm:
    """Instance normalisation with a learnt affine transform (one group per channel)."""
    return nn.GroupNorm(channels, channels, affine=True)


def _check(in_channels: int, num_classes: int, image_size: tuple[int, int], name: str) -> tuple[int, int]:
    h, w = int(image_size[0]), int(image_size[1])
    if in_channels < 1 or num_classes < 1 or h < 1 or w < 1:
        raise ValueError(
            f"{name} needs positive in_channels, num_classes and image size, got in_channels={in_channels}, "
            f"num_classes={num_classes}, image_size={image_size}"
        )
    return h, w


class AlexNet(nn.Module):
    """AlexNet of the dataset-distillation literature: ``(B, C, H, W) -> (B, num_classes)``."""

    def __init__(self, in_channels: int, num_classes: int, image_size: tuple[int, int]) -> None:
        super().__init__()
        h, w = _check(in_channels, num_classes, image_size, "AlexNet")
        pad = 4 if (h, w) == (28, 28) else 2
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 128, kernel_size=5, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(128, 192, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(192, 256, kernel_size=3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 192, kernel_size=3, padding=1), nn.ReLU(),
            nn.Conv2d(192, 192, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        fh, fw = (h + 2 * pad - 4) // 8, (w + 2 * pad - 4) // 8
        if fh < 1 or fw < 1:
            raise ValueError(f"AlexNet needs images of at least 8x8 pixels, got {h}x{w}")
        self.feature_dim = 192 * fh * fw
        self.classifier = nn.Linear(self.feature_dim, num_classes)

    def embed(self, x: Tensor) -> Tensor:
        """``(B, C, H, W) -> (B, 192 * H/8 * W/8)``."""
        return torch.flatten(self.features(x), 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.embed(x))


_VGG11 = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")


class VGG11(nn.Module):
    """VGG-11 with instance normalisation: ``(B, C, H, W) -> (B, num_classes)``; inputs of at least 28 px."""

    def __init__(self, in_channels: int, num_classes: int, image_size: tuple[int, int]) -> None:
        super().__init__()
        h, w = _check(in_channels, num_classes, image_size, "VGG11")
        if min(h, w) < 28:
            raise ValueError(f"VGG11 pools five times and needs images of at least 28x28 pixels, got {h}x{w}")
        layers: list[nn.Module] = []
        channels = in_channels
        for i, v in enumerate(_VGG11):
            if v == "M":
                layers.append(nn.MaxPool2d(2))
                continue
            pad = 3 if i == 0 and (h, w) == (28, 28) else 1
            layers += [nn.Conv2d(channels, int(v), kernel_size=3, padding=pad), instance_norm(int(v)), nn.ReLU()]
            channels = int(v)
        self.features = nn.Sequential(*layers)
        self.feature_dim = 512
        self.classifier = nn.Linear(512, num_classes)

    def embed(self, x: Tensor) -> Tensor:
        """``(B, C, H, W) -> (B, 512)`` (global average of the last feature map)."""
        return self.features(x).mean(dim=(2, 3))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.embed(x))


class _BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.norm1 = instance_norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.norm2 = instance_norm(cout)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), instance_norm(cout))

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.norm1(self.conv1(x)))
        out = self.norm2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    """ResNet-18 with instance normalisation: ``(B, C, H, W) -> (B, num_classes)``."""

    def __init__(self, in_channels: int, num_classes: int, image_size: tuple[int, int]) -> None:
        super().__init__()
        h, w = _check(in_channels, num_classes, image_size, "ResNet18")
        if max(h, w) > 64:  # ImageNet-sized inputs: the ImageNet stem (4x smaller maps)
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False), instance_norm(64), nn.ReLU(),
                nn.MaxPool2d(3, stride=2, padding=1),
            )
        else:
            self.stem = nn.Sequential(nn.Conv2d(in_channels, 64, 3, padding=1, bias=False), instance_norm(64), nn.ReLU())
        blocks: list[nn.Module] = []
        cin = 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [_BasicBlock(cin, cout, stride), _BasicBlock(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*blocks)
        self.feature_dim = 512
        self.classifier = nn.Linear(512, num_classes)

    def embed(self, x: Tensor) -> Tensor:
        """``(B, C, H, W) -> (B, 512)`` (global average of the last feature map)."""
        return self.layers(self.stem(x)).mean(dim=(2, 3))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.embed(x))


class _Block(nn.Module):
    """Pre-norm transformer block: ``x + MHSA(LN(x))``, then ``x + MLP(LN(x))``."""

    def __init__(self, dim: int, heads: int, mlp_dim: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, dim))

    def forward(self, x: Tensor) -> Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.heads), dim=-1)  # (B, heads, T, T)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """A small Vision Transformer: ``(B, C, H, W) -> (B, num_classes)``.

    The patch side is ``ceil(side / 8)`` (a grid of about 8x8 patches at any resolution: 4 px at
    28/32, 16 px at 128, 32 px at 256); inputs are zero-padded to a multiple of it.
    """

    def __init__(self, in_channels: int, num_classes: int, image_size: tuple[int, int], dim: int = 256,
                 depth: int = 6, heads: int = 8, mlp_dim: int = 512) -> None:
        super().__init__()
        h, w = _check(in_channels, num_classes, image_size, "ViT")
        if dim % heads:
            raise ValueError(f"ViT width {dim} must be a multiple of its {heads} heads")
        self.patch = max(1, math.ceil(max(h, w) / 8))
        self.grid = (math.ceil(h / self.patch), math.ceil(w / self.patch))
        self.patch_embed = nn.Conv2d(in_channels, dim, kernel_size=self.patch, stride=self.patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + self.grid[0] * self.grid[1], dim) * 0.02)
        self.blocks = nn.Sequential(*[_Block(dim, heads, mlp_dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.feature_dim = dim
        self.classifier = nn.Linear(dim, num_classes)

    def embed(self, x: Tensor) -> Tensor:
        """``(B, C, H, W) -> (B, dim)``: the class token after the last block."""
        ph, pw = self.grid[0] * self.patch - x.shape[2], self.grid[1] * self.patch - x.shape[3]
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph))
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)  # (B, T, dim)
        tokens = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), tokens], dim=1) + self.pos_embed
        return self.norm(self.blocks(tokens))[:, 0]

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.embed(x))
