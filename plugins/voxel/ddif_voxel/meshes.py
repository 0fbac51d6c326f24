"""Meshes from disk (OFF by the plugin's own parser; OBJ, PLY, STL by trimesh) and their surface samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ddif_core import DataError

MESH_SUFFIXES = (".off", ".obj", ".ply", ".stl")


class MeshError(DataError):
    """An unreadable or empty mesh; ``str(err)`` is one sentence naming the file."""


def read_mesh(path: Path):  # -> trimesh.Trimesh (trimesh imported lazily)
    """The triangle mesh in ``path`` (processed by trimesh: duplicate vertices merged)."""
    import trimesh

    path = Path(path)
    if path.suffix.lower() == ".off":
        from ddif_voxel.off import read_off

        vertices, faces = read_off(path)
        return trimesh.Trimesh(vertices=vertices, faces=faces, process=True)
    try:
        mesh = trimesh.load(path, force="mesh")
    except Exception as exc:  # trimesh raises many types for a bad file; the message is what matters
        raise MeshError(f"cannot read {path} as a mesh: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") \
            from None
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise MeshError(f"{path} holds no triangles, expected a non-empty surface mesh")
    return mesh


def sample_surface(mesh, count: int, seed: int, name: str = "the mesh") -> np.ndarray:
    """About ``count`` points spread evenly over the mesh surface, as the PointNet++ release samples 10,000 points
    per ModelNet mesh.

    The recipe of trimesh's ``sample_surface_even``: draw 3 x ``count`` area-weighted points
    (``trimesh.sample.sample_surface``), then thin them at radius r = sqrt(area / (3 count)). The thinning keeps
    the first point of every occupied cell of side r (a grid hash) instead of trimesh's KD-tree pass, whose scipy
    ``cKDTree.query_pairs`` crashed the process (SIGSEGV) in a long test session here.

    :returns: (P, 3) float64 points, P <= count, in a fixed order for a seed.
    """
    import trimesh

    area = float(mesh.area)
    if not np.isfinite(area) or area <= 0:
        raise MeshError(f"{name} has no surface area (every face is degenerate)")
    points, _ = trimesh.sample.sample_surface(mesh, 3 * count, seed=seed)
    points = np.asarray(points, dtype=np.float64)
    radius = (area / (3 * count)) ** 0.5
    cells = np.floor((points - points.min(axis=0)) / radius).astype(np.int64)  # (3 count, 3), >= 0
    span = cells.max(axis=0) + 1
    keys = (cells[:, 0] * span[1] + cells[:, 1]) * span[2] + cells[:, 2]
    _, first = np.unique(keys, return_index=True)
    return points[np.sort(first)][:count]
