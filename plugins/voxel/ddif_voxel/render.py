"""Pictures of occupancy grids for people: three max-projections per instance (front, side, top).

Grids are indexed (x, y, z) with z up (ModelNet's convention). Front looks along y and shows (x, z), side looks
along x and shows (y, z), top looks down z and shows (x, y); occupancy is drawn dark on white.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

GAP = 2  # white pixels between the views of one instance
SEPARATOR = 4  # pixels between instances and between rows
SEPARATOR_SHADE = 200


def projections(grid: np.ndarray, size: int | None = None) -> np.ndarray:
    """One (R_x, R_y, R_z) grid in occupancy units -> (3, H, W) uint8 views (front, side, top).

    Each view is the maximum along the viewing axis, shown with nearest-neighbour scaling to ``size`` pixels
    (default: the grid scaled by an integer factor to at least 48 pixels), 255 = empty, 0 = occupied.
    """
    g = np.clip(np.asarray(grid, dtype=np.float32), 0.0, 1.0)
    front = g.max(axis=1).T[::-1]  # (z, x), z up
    side = g.max(axis=0).T[::-1]  # (z, y)
    top = g.max(axis=2).T[::-1]  # (y, x)
    side_px = size or max(g.shape) * max(1, -(-48 // max(g.shape)))
    views = [_scale(v, side_px) for v in (front, side, top)]
    return np.stack([(255 * (1.0 - v)).round().astype(np.uint8) for v in views])


def _scale(image: np.ndarray, side: int) -> np.ndarray:
    """Nearest-neighbour resize of a 2-D array to (side, side)."""
    rows = (np.arange(side) * image.shape[0] // side).clip(0, image.shape[0] - 1)
    cols = (np.arange(side) * image.shape[1] // side).clip(0, image.shape[1] - 1)
    return image[rows][:, cols]


def tile(views: np.ndarray) -> np.ndarray:
    """(3, H, W) views -> one (H, 3W + 2 GAP) strip."""
    h = views.shape[1]
    gap = np.full((h, GAP), 255, dtype=np.uint8)
    return np.concatenate([views[0], gap, views[1], gap, views[2]], axis=1)


def sheet(rows: list[list[np.ndarray]]) -> np.ndarray:
    """Rows of strips (each (H, W) uint8, all the same size) -> one image; short rows are padded with white."""
    h, w = next(s.shape for r in rows for s in r)
    per_row = max(len(r) for r in rows)
    blank = np.full((h, w), 255, dtype=np.uint8)
    vsep = np.full((h, SEPARATOR), SEPARATOR_SHADE, dtype=np.uint8)
    lines = []
    for r in rows:
        strips = list(r) + [blank] * (per_row - len(r))
        parts = [p for s in strips for p in (s, vsep)][:-1]
        lines.append(np.concatenate(parts, axis=1))
    hsep = np.full((SEPARATOR, lines[0].shape[1]), SEPARATOR_SHADE, dtype=np.uint8)
    return np.concatenate([p for line in lines for p in (line, hsep)][:-1], axis=0)


def save_png(image: np.ndarray, path: Path) -> None:
    """Write a (H, W) uint8 grey image as PNG through a temporary name."""
    from PIL import Image

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    Image.fromarray(np.ascontiguousarray(image)).save(tmp, format="PNG")
    tmp.replace(path)


def _safe(name: str) -> str:
    """A class name as a portable file-name part."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name)


def _by_class(labels: list[int], num_classes: int, per_class: int) -> list[list[int]]:
    """Instance indices of each class (in instance order), at most ``per_class`` each."""
    rows: list[list[int]] = [[] for _ in range(num_classes)]
    for i, c in enumerate(labels):
        if len(rows[c]) < per_class:
            rows[c].append(i)
    return rows


def preview(grids: np.ndarray, labels: list[int], num_classes: int, out_dir: Path, per_class: int = 8) -> list[Path]:
    """``preview.png``: a row per class of up to ``per_class`` instances, each as front/side/top views.

    :param grids: (K, D, H, W) occupancy units.
    """
    rows = [[tile(projections(grids[i])) for i in idx] for idx in _by_class(labels, num_classes, per_class)]
    blank = np.full_like(tile(projections(grids[0])), 255)
    save_png(sheet([r or [blank] for r in rows]), Path(out_dir) / "preview.png")
    return [Path("preview.png")]


def compare(grids: list[np.ndarray], labels: list[int], num_classes: int, out_dir: Path,
            per_class: int = 4) -> list[Path]:
    """``compare.png``: per class, up to ``per_class`` instances, each shown at every shape of ``grids`` side by
    side (views scaled to the largest grid with nearest-neighbour, so coarse grids look blocky)."""
    size = max(max(g.shape[1:]) for g in grids)
    side = size * max(1, -(-48 // size))
    rows = []
    for idx in _by_class(labels, num_classes, per_class):
        rows.append([tile(projections(g[i], side)) for i in idx for g in grids])
    blank = np.full_like(tile(projections(grids[0][0], side)), 255)
    save_png(sheet([r or [blank] for r in rows]), Path(out_dir) / "compare.png")
    return [Path("compare.png")]


def class_meshes(grids: np.ndarray, labels: list[int], names: list[str], out_dir: Path,
                 per_class: int = 10) -> list[Path]:
    """``<label>_<class>.obj`` per class: up to ``per_class`` of its instances as meshes in a row along x
    (each in its unit cube, 0.25 apart)."""
    from ddif_voxel.export import grid_to_mesh, write_mesh

    out: list[Path] = []
    for c, idx in enumerate(_by_class(labels, len(names), per_class)):
        if not idx:
            continue
        vertices, faces, offset = [], [], 0
        for k, i in enumerate(idx):
            v, f = grid_to_mesh(grids[i])
            vertices.append(v + np.array([1.25 * k, 0.0, 0.0]))
            faces.append(f + offset)
            offset += len(v)
        rel = Path(f"{c:03d}_{_safe(names[c])}.obj")
        write_mesh(Path(out_dir) / rel, np.concatenate(vertices), np.concatenate(faces), "obj")
        out.append(rel)
    return out


def export_meshes(grids: np.ndarray, labels: list[int], names: list[str], out_dir: Path,
                  fmt: str) -> tuple[list[Path], int]:
    """One mesh file per instance, in instance order: ``<label>_<class>/<index in class>.<fmt>``.

    :returns: the relative paths and how many grids had nothing above 0.5 (written as empty meshes).
    """
    from ddif_voxel.export import grid_to_mesh, write_mesh

    out: list[Path] = []
    counters: dict[int, int] = {}
    empty = 0
    for grid, c in zip(grids, labels):
        folder = Path(out_dir) / f"{c:03d}_{_safe(names[c])}"
        folder.mkdir(parents=True, exist_ok=True)
        k = counters.get(c, 0)
        counters[c] = k + 1
        vertices, faces = grid_to_mesh(grid)
        empty += len(faces) == 0
        rel = Path(folder.name) / f"{k:05d}.{fmt}"
        write_mesh(Path(out_dir) / rel, vertices, faces, fmt)
        out.append(rel)
    return out, empty
