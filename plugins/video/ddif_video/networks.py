"""The ``convnet3d`` network definition: options and the build function the registry calls."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ddif_core import StrictModel


class ConvNet3DOptions(StrictModel):
    dropout: float = Field(0.5, ge=0.0, lt=1.0, description="Dropout before the 1x1x1 classifier convolution.")
    width: int = Field(64, ge=1, le=1024, description="Filters of the first block; the second and third have twice "
                       "as many (64 -> 64, 128, 128 as Wang et al. 2024; smaller for CPU presets).")


def build_convnet3d(sample_shape: tuple[int, ...], num_classes: int, options: Any = None) -> Any:
    """``sample_shape`` = (3, T, H, W) -> a :class:`~ddif_video.convnet3d.ConvNet3D`."""
    from ddif_video.convnet3d import ConvNet3D

    if len(sample_shape) != 4:
        raise ValueError(f"convnet3d takes clips (channels, T, H, W), got sample shape {tuple(sample_shape)}")
    o = options if options is not None else ConvNet3DOptions()
    return ConvNet3D(sample_shape[0], num_classes, tuple(sample_shape[1:]), dropout=o.dropout, width=o.width)
