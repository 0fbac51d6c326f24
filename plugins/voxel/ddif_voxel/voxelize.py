"""Points -> occupancy grids (the authors' voxelisation) and filling of closed shells.

``axis`` (the authors'): each axis is min-max scaled to [0, 1] on its own, multiplied by (R - 1) and
floored, so the shape touches all six faces of the grid and loses its aspect ratio. ``uniform``: one scale
for all axes (the longest side spans the grid), the shape centred, aspect ratio kept.
Grid index order is (axis 0, axis 1, axis 2) = (x, y, z) of the file.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Normalize = Literal["axis", "uniform"]


def voxel_indices(points: np.ndarray, resolution: int, normalize: Normalize = "axis") -> np.ndarray:
    """(P, 3) points -> (P, 3) int64 cell indices in [0, R-1].

    An axis along which every point has the same value (a flat shape) is placed in the middle cell.
    """
    p = np.asarray(points, dtype=np.float64)
    lo, hi = p.min(axis=0), p.max(axis=0)
    extent = hi - lo  # (3,)
    if normalize == "axis":
        scale = np.where(extent > 0, extent, 1.0)
        t = (p - lo) / scale
        t[:, extent <= 0] = 0.5
    elif normalize == "uniform":
        longest = float(extent.max())
        t = (p - (lo + hi) / 2) / (longest if longest > 0 else 1.0) + 0.5
    else:
        raise ValueError(f"normalize must be 'axis' or 'uniform', got {normalize!r}")
    idx = np.floor(t * (resolution - 1)).astype(np.int64)
    return np.clip(idx, 0, resolution - 1)


def occupancy(points: np.ndarray, resolution: int, normalize: Normalize = "axis",
              out: np.ndarray | None = None) -> np.ndarray:
    """(P, 3) points -> (R, R, R) uint8 grid, 1 where a point falls (written into ``out`` when given)."""
    grid = np.zeros((resolution,) * 3, dtype=np.uint8) if out is None else out
    if out is not None:
        grid[...] = 0
    i = voxel_indices(points, resolution, normalize)
    grid[i[:, 0], i[:, 1], i[:, 2]] = 1
    return grid


def fill_closed(grid: np.ndarray) -> np.ndarray:
    """Mark the cells enclosed by the occupied shell (the inside of a watertight mesh) as occupied.

    A cell is inside when it cannot reach the grid's border through empty cells (6-connectivity); a shell
    with a gap at the grid resolution stays hollow.
    """
    from scipy import ndimage

    return ndimage.binary_fill_holes(grid.astype(bool)).astype(np.uint8)
