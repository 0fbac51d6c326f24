"""``conv3dnet``: the core's n-D ConvNet at 3-D, as the paper's Conv3DNet for 32^3 occupancy grids.

3 blocks of [conv 3x3x3 -> instance norm -> ReLU -> avg-pool 2] at 32^3 (the depth follows the grid side as for
images: 16^3 -> 2 blocks), first conv padding 3 on one-channel input (32 -> 36 -> 18 -> 9 -> 4), so 128 x 4^3 =
8,192 features feed the linear head. Width 128 as the authors' code; the paper's text says 64 (``net.width=64``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ddif_core import ConfigError, StrictModel


class Conv3DNetOptions(StrictModel):
    """``[net]`` settings of ``conv3dnet``."""

    width: int = Field(128, ge=1, le=4096, description="Filters per convolution (128 as the authors' code; the "
                       "paper's text says 64).")
    depth: int | None = Field(None, ge=1, le=8, description="Conv blocks (default from the grid side: 32 -> 3, "
                              "16 -> 2, 64 -> 4).")
    norm: Literal["instance", "batch", "none"] = Field("instance", description="Normalisation after each convolution.")
    pool: Literal["avg", "max"] = Field("avg", description="2x2x2 pooling after each block.")


def build_conv3dnet(sample_shape: tuple[int, ...], num_classes: int, options: Any = None) -> Any:
    """A ConvNet for (m, D, H, W) grids; other shapes are a ConfigError."""
    from ddif_core import ConvNet

    if len(sample_shape) != 4:
        raise ConfigError(f"conv3dnet takes (channels, D, H, W) grids, got instances of shape {tuple(sample_shape)}")
    o = options if options is not None else Conv3DNetOptions()
    return ConvNet(sample_shape[0], num_classes, tuple(sample_shape[1:]), width=o.width, depth=o.depth, norm=o.norm,
                   pool=o.pool)
