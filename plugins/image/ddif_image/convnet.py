"""The ConvNet of the dataset-distillation literature (ConvNetD3 ... ConvNetD7).

``depth`` blocks of ``conv 3x3 (width filters) -> norm -> ReLU -> 2x2 pool (stride 2)``, then a
linear classifier on the flattened features. "Instance" normalisation is ``GroupNorm`` with one
group per channel and an affine transform, as in the DC / DSA / DM / MTT code bases. A 28x28 input
gets padding 3 in the first convolution, so that it is handled like a 32x32 one (features
``width x 4 x 4`` at depth 3).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["ConvNet", "convnet_depth_for", "NORMS", "POOLINGS"]

NORMS: tuple[str, ...] = ("instance", "batch", "none")
POOLINGS: tuple[str, ...] = ("avg", "max", "none")

_DEPTH_TABLE: dict[int, int] = {28: 3, 32: 3, 64: 4, 128: 5, 256: 6, 512: 7}


def convnet_depth_for(size: int) -> int:
    """The ConvNet depth used in the literature for images of side ``size``.

    28 or 32 -> 3, 64 -> 4, 128 -> 5, 256 -> 6, 512 -> 7; any other size ->
    ``round(log2(size)) - 2``, at least 1.
    """
    if size < 1:
        raise ValueError(f"image size must be >= 1, got {size}")
    if size in _DEPTH_TABLE:
        return _DEPTH_TABLE[size]
    return max(1, round(math.log2(size)) - 2)


def _norm_layer(norm: str, width: int) -> nn.Module:
    if norm == "instance":
        return nn.GroupNorm(width, width, affine=True)
    if norm == "batch":
        return nn.BatchNorm2d(width)
    if norm == "none":
        return nn.Identity()
    raise ValueError(f"ConvNet norm {norm!r} is unknown; expected one of {', '.join(NORMS)}")


def _pool_layer(pooling: str) -> nn.Module:
    if pooling == "avg":
        return nn.AvgPool2d(kernel_size=2, stride=2)
    if pooling == "max":
        return nn.MaxPool2d(kernel_size=2, stride=2)
    if pooling == "none":
        return nn.Identity()
    raise ValueError(f"ConvNet pooling {pooling!r} is unknown; expected one of {', '.join(POOLINGS)}")


class ConvNet(nn.Module):
    """ConvNet: ``depth`` x [conv 3x3 -> norm -> ReLU -> pool], then ``Linear(feature_dim, num_classes)``.

    Args:
        in_channels: channels ``C`` of the input images.
        num_classes: number of output logits.
        image_size: ``(H, W)`` of the input images.
        depth: number of conv blocks; default :func:`convnet_depth_for` of ``max(image_size)``.
        width: filters per convolution.
        norm: ``"instance"`` (GroupNorm with ``width`` groups), ``"batch"`` or ``"none"``.
        pooling: ``"avg"``, ``"max"`` or ``"none"``.

    Attributes:
        features: the conv blocks, ``(B, C, H, W) -> (B, width, h, w)``.
        classifier: ``nn.Linear(feature_dim, num_classes)``.
        feature_dim: ``width * h * w``, the size of :meth:`embed`'s output.
        feature_shape: ``(width, h, w)``.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        image_size: tuple[int, int],
        depth: int | None = None,
        width: int = 128,
        norm: str = "instance",
        pooling: str = "avg",
    ) -> None:
        super().__init__()
        height, wide = int(image_size[0]), int(image_size[1])
        if in_channels < 1 or num_classes < 1 or width < 1 or height < 1 or wide < 1:
            raise ValueError(
                f"ConvNet needs positive in_channels, num_classes, width and image size, got "
                f"in_channels={in_channels}, num_classes={num_classes}, width={width}, image_size={image_size}"
            )
        if depth is None:
            depth = convnet_depth_for(max(height, wide))
        if depth < 1:
            raise ValueError(f"ConvNet depth must be >= 1, got {depth}")
        if norm not in NORMS:
            raise ValueError(f"ConvNet norm {norm!r} is unknown; expected one of {', '.join(NORMS)}")
        if pooling not in POOLINGS:
            raise ValueError(f"ConvNet pooling {pooling!r} is unknown; expected one of {', '.join(POOLINGS)}")

        layers: list[nn.Module] = []
        channels, h, w = in_channels, height, wide
        for block in range(depth):
            padding = 3 if block == 0 and (height, wide) == (28, 28) else 1
            layers.append(nn.Conv2d(channels, width, kernel_size=3, padding=padding))
            layers.append(_norm_layer(norm, width))
            layers.append(nn.ReLU(inplace=True))
            layers.append(_pool_layer(pooling))
            channels = width
            h, w = h + 2 * padding - 2, w + 2 * padding - 2  # 3x3 convolution, stride 1
            if pooling != "none":
                h, w = h // 2, w // 2
            if h < 1 or w < 1:
                raise ValueError(
                    f"ConvNet depth {depth} is too deep for {height}x{wide} images: block {block + 1} leaves "
                    f"a {h}x{w} feature map"
                )
        self.features = nn.Sequential(*layers)
        self.feature_shape: tuple[int, int, int] = (width, h, w)
        self.feature_dim: int = width * h * w
        self.classifier = nn.Linear(self.feature_dim, num_classes)
        self.depth = depth

    def embed(self, x: Tensor) -> Tensor:
        """Flattened features before the classifier: ``(B, C, H, W) -> (B, feature_dim)``."""
        return torch.flatten(self.features(x), 1)

    def forward(self, x: Tensor) -> Tensor:
        """Logits: ``(B, C, H, W) -> (B, num_classes)``."""
        return self.classifier(self.embed(x))
