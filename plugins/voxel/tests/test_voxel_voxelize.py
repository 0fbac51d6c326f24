from __future__ import annotations

import numpy as np
import pytest

from ddif_voxel.voxelize import fill_closed, occupancy, voxel_indices


def _cube_surface(n: int = 64) -> np.ndarray:
    """A dense grid of points on the six faces of [-1, 2]^3 (an arbitrary offset and size)."""
    t = np.linspace(0.0, 1.0, n)
    a, b = (v.ravel() for v in np.meshgrid(t, t, indexing="ij"))
    faces = []
    for axis in range(3):
        for side in (0.0, 1.0):
            p = np.empty((a.size, 3))
            others = [k for k in range(3) if k != axis]
            p[:, axis], p[:, others[0]], p[:, others[1]] = side, a, b
            faces.append(p)
    return np.concatenate(faces) * 3.0 - 1.0


@pytest.mark.parametrize("r", [8, 16, 32])
def test_cube_surface_fills_exactly_the_boundary_cells(r: int) -> None:
    grid = occupancy(_cube_surface(), r, "axis")
    assert grid.dtype == np.uint8 and grid.shape == (r, r, r)
    assert int(grid.sum()) == r ** 3 - (r - 2) ** 3
    assert grid[1:-1, 1:-1, 1:-1].sum() == 0


def test_axis_stretches_and_uniform_keeps_the_aspect_ratio() -> None:
    pts = _cube_surface() * np.array([1.0, 0.5, 0.25])  # a 4:2:1 box
    stretched = occupancy(pts, 16, "axis")
    kept = occupancy(pts, 16, "uniform")
    assert int(stretched.sum()) == 16 ** 3 - 14 ** 3
    spans = [np.flatnonzero(kept.any(axis=tuple(k for k in range(3) if k != a))) for a in range(3)]
    # y spans [0.25, 0.75] of the longest side -> cells floor(15 * 0.25) .. floor(15 * 0.75); z likewise (centred)
    assert [(int(s.min()), int(s.max())) for s in spans] == [(0, 15), (3, 11), (5, 9)]


def test_flat_axis_lands_in_the_middle_and_bad_mode_fails() -> None:
    pts = np.array([[0.0, 0.0, 5.0], [1.0, 1.0, 5.0]])
    assert voxel_indices(pts, 9, "axis")[:, 2].tolist() == [4, 4]
    with pytest.raises(ValueError, match="normalize"):
        voxel_indices(pts, 9, "cubic")  # type: ignore[arg-type]


def test_fill_closed_fills_a_closed_shell_and_not_an_open_one() -> None:
    shell = occupancy(_cube_surface(), 10)
    assert int(fill_closed(shell).sum()) == 1000
    shell[0, 4, 4] = 0  # a hole: the inside reaches the border
    assert int(fill_closed(shell).sum()) == int(shell.sum())
