"""Coordinate grids in [-1, 1]^n on which neural fields are evaluated."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


def coordinate_grid(
    sizes: Sequence[int], device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Evenly spaced points in [-1, 1] along each axis, in row-major (C) order.

    :param sizes: points per axis (N_1, ..., N_n), e.g. (H, W) for an image or (T, H, W) for video.
    :returns: (P, n) coordinates with P = prod(sizes); row p is the position of flat index p of a
        tensor of shape ``sizes``, so ``field(grid).reshape(*sizes, m)`` is the decoded instance.
        An axis of length 1 sits at 0, the centre of the interval.
    """
    axes = grid_axes(sizes, device, dtype)
    mesh = torch.meshgrid(*axes, indexing="ij")
    return torch.stack(mesh, dim=-1).reshape(math.prod(int(s) for s in sizes), len(sizes))


def grid_axes(
    sizes: Sequence[int], device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
) -> list[torch.Tensor]:
    """The per-axis coordinates of :func:`coordinate_grid`: one (N_t,) tensor per axis."""
    if len(sizes) == 0 or any(int(s) < 1 for s in sizes):
        raise ValueError(f"grid sizes must be positive integers, got {tuple(sizes)}")
    return [
        torch.linspace(-1.0, 1.0, int(s), device=device, dtype=dtype)
        if int(s) > 1
        else torch.zeros(1, device=device, dtype=dtype)
        for s in sizes
    ]
