"""The ConvNet of the dataset-distillation literature (ConvNetD3 ... ConvNetD7), for 1-D, 2-D and 3-D input.

``depth`` blocks of ``conv 3 (width filters) -> norm -> ReLU -> pool 2 (stride 2)``, then a linear
classifier on the flattened features. "Instance" normalisation is ``GroupNorm`` with one group per
channel and an affine transform, as in the DC / DSA / DM / MTT code bases (it is defined the same
way for any number of axes). One-channel input gets padding 3 in the first convolution, as DC/IDC
do for 28x28 MNIST (handled like 32x32: ``width x 4 x 4`` features at depth 3); the same rule turns
a 64x64 spectrogram into 70x70 and a 32^3 occupancy grid into 36^3.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["ConvNet", "convnet_depth_for", "NORMS", "POOLS"]

NORMS: tuple[str, ...] = ("instance", "batch", "none")
POOLS: tuple[str, ...] = ("avg", "max", "none")

_DEPTH_TABLE: dict[int, int] = {28: 3, 32: 3, 64: 4, 128: 5, 256: 6, 512: 7}
_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_BATCH_NORM = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}
_POOL = {"avg": {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d},
         "max": {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}}


def convnet_depth_for(size: int) -> int:
    """The ConvNet depth used in the literature for a shortest side of ``size``.

    28 or 32 -> 3, 64 -> 4, 128 -> 5, 256 -> 6, 512 -> 7; any other size ->
    ``round(log2(size)) - 2``, at least 1.
    """
    if size < 1:
        raise ValueError(f"the input size must be >= 1, got {size}")
    if size in _DEPTH_TABLE:
        return _DEPTH_TABLE[size]
    return max(1, round(math.log2(size)) - 2)


def _norm_layer(norm: str, width: int, dims: int) -> nn.Module:
    if norm == "instance":
        return nn.GroupNorm(width, width, affine=True)
    if norm == "batch":
        return _BATCH_NORM[dims](width)
    return nn.Identity()


def _pool_layer(pool: str, dims: int) -> nn.Module:
    if pool == "none":
        return nn.Identity()
    return _POOL[pool][dims](kernel_size=2, stride=2)


class ConvNet(nn.Module):
    """ConvNet: ``depth`` x [conv 3 -> norm -> ReLU -> pool 2], then ``Linear(feature_dim, num_classes)``.

    :param in_channels: channels m of the input (B, m, N_1..N_n), n in 1..3.
    :param num_classes: output logits.
    :param spatial: (N_1, ..., N_n) of the input.
    :param width: filters per convolution.
    :param depth: conv blocks; default :func:`convnet_depth_for` of the shortest side of ``spatial``.
    :param norm: ``"instance"`` (GroupNorm, one group per channel), ``"batch"`` or ``"none"``.
    :param pool: ``"avg"``, ``"max"`` or ``"none"``.

    Attributes: ``features`` (B, m, N...) -> (B, width, n...), ``classifier``, ``feature_shape``
    (width, n...), ``feature_dim`` (the size of :meth:`embed`'s output), ``depth``.
    """

    def __init__(self, in_channels: int, num_classes: int, spatial: tuple[int, ...], width: int = 128,
                 depth: int | None = None, norm: str = "instance", pool: str = "avg") -> None:
        super().__init__()
        sizes = tuple(int(s) for s in spatial)
        dims = len(sizes)
        if dims not in _CONV:
            raise ValueError(f"ConvNet takes 1-D, 2-D or 3-D input, got spatial shape {tuple(spatial)}")
        if in_channels < 1 or num_classes < 1 or width < 1 or min(sizes) < 1:
            raise ValueError(
                f"ConvNet needs positive in_channels, num_classes, width and sizes, got in_channels={in_channels}, "
                f"num_classes={num_classes}, width={width}, spatial={tuple(spatial)}"
            )
        depth = convnet_depth_for(min(sizes)) if depth is None else depth
        if depth < 1:
            raise ValueError(f"ConvNet depth must be >= 1, got {depth}")
        if norm not in NORMS:
            raise ValueError(f"ConvNet norm {norm!r} is unknown; expected one of {', '.join(NORMS)}")
        if pool not in POOLS:
            raise ValueError(f"ConvNet pool {pool!r} is unknown; expected one of {', '.join(POOLS)}")
        layers: list[nn.Module] = []
        channels, shape = in_channels, sizes
        for block in range(depth):
            padding = 3 if block == 0 and in_channels == 1 else 1
            layers.append(_CONV[dims](channels, width, kernel_size=3, padding=padding))
            layers.append(_norm_layer(norm, width, dims))
            layers.append(nn.ReLU(inplace=True))
            layers.append(_pool_layer(pool, dims))
            channels = width
            shape = tuple(s + 2 * padding - 2 for s in shape)  # kernel 3, stride 1
            if pool != "none":
                shape = tuple(s // 2 for s in shape)
            if min(shape) < 1:
                raise ValueError(
                    f"ConvNet depth {depth} is too deep for input {'x'.join(map(str, sizes))}: block {block + 1} "
                    f"leaves a {'x'.join(map(str, shape))} feature map"
                )
        self.features = nn.Sequential(*layers)
        self.feature_shape: tuple[int, ...] = (width, *shape)
        self.feature_dim: int = width * math.prod(shape)
        self.classifier = nn.Linear(self.feature_dim, num_classes)
        self.depth = depth

    def embed(self, x: Tensor) -> Tensor:
        """Flattened features before the classifier: (B, m, N...) -> (B, feature_dim)."""
        return torch.flatten(self.features(x), 1)

    def forward(self, x: Tensor) -> Tensor:
        """Logits: (B, m, N...) -> (B, num_classes)."""
        return self.classifier(self.embed(x))
