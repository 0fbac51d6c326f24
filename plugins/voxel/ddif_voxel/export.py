"""Decoded occupancy grids -> triangle meshes (marching cubes at 0.5) and mesh files (OBJ, PLY)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

MESH_FORMATS = ("obj", "ply")


def grid_to_mesh(grid: np.ndarray, level: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Marching cubes of one (R_0, R_1, R_2) occupancy grid (values in occupancy units, 1 = occupied).

    The grid is clamped to [0, 1] and padded with one empty cell on every side, so the surface is closed where
    the shape touches the border. Cell i of axis k covers [i / R_k, (i + 1) / R_k], so the mesh lies in the
    unit cube. A grid with nothing above ``level`` gives an empty mesh.

    :returns: vertices (V, 3) float64 in [0, 1]^3 and triangles (F, 3) int64 (V = F = 0 for an empty mesh).
    """
    from skimage.measure import marching_cubes

    g = np.clip(np.asarray(grid, dtype=np.float32), 0.0, 1.0)
    if not (g > level).any():
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64)
    padded = np.pad(g, 1)
    # "ascent": occupancy grows inwards, so the triangles face outwards (positive volume)
    vertices, faces, _, _ = marching_cubes(padded, level, gradient_direction="ascent")
    vertices = (vertices.astype(np.float64) - 0.5) / np.asarray(g.shape, dtype=np.float64)
    return np.clip(vertices, 0.0, 1.0), faces.astype(np.int64)


def write_mesh(path: Path, vertices: np.ndarray, faces: np.ndarray, fmt: str) -> None:
    """Write a mesh as ``fmt`` (obj or ply) through a temporary name (an empty mesh writes an empty file
    of that format)."""
    import trimesh

    if fmt not in MESH_FORMATS:
        raise ValueError(f"mesh format must be one of {', '.join(MESH_FORMATS)}, got {fmt!r}")
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
    data = mesh.export(file_type=fmt)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    tmp.replace(path)
