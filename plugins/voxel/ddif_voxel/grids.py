"""Occupancy grids of a dataset split: every file read, (sampled,) voxelised, and cached as uint8 on disk.

The arrays of one split (``<cache>/voxel/<key>/``) are ``grids`` (N, 1, R, R, R) uint8, ``labels`` (N,) int64,
``count`` (1,) the number of rows in use (files skipped with ``skip_bad_files`` leave the last rows unused),
``skipped`` (1,) and ``stats`` (2,) the mean and standard deviation of the occupancy over the rows in use.
The key covers the files (paths, sizes, mtimes) and every setting that changes a grid.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ddif_core import DataError
from ddif_voxel.sources import Layout, Source
from ddif_voxel.voxelize import fill_closed, occupancy

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class VoxelSettings:
    """Everything that changes the grid of a file.

    :param resolution: R of the (R, R, R) grid.
    :param normalize: "axis" (per-axis min-max, the authors') or "uniform" (aspect ratio kept).
    :param fill: fill the inside of watertight meshes.
    :param points: surface points sampled per mesh.
    """

    resolution: int = 32
    normalize: Literal["axis", "uniform"] = "axis"
    fill: bool = False
    points: int = 10_000


def file_seed(key: str) -> int:
    """A stable per-file seed for surface sampling, from the file's path relative to the dataset root."""
    return zlib.crc32(key.encode("utf-8"))


def voxelize_source(source: Source, kind: str, settings: VoxelSettings, out: np.ndarray | None = None) -> np.ndarray:
    """The (R, R, R) uint8 occupancy of one file (a DataError naming it when it is malformed)."""
    if kind == "points":
        from ddif_voxel.points import read_points

        points = read_points(source.path)
        return occupancy(points, settings.resolution, settings.normalize, out)
    from ddif_voxel.meshes import read_mesh, sample_surface

    mesh = read_mesh(source.path)
    points = sample_surface(mesh, settings.points, file_seed(source.key), str(source.path))
    grid = occupancy(points, settings.resolution, settings.normalize, out)
    if settings.fill and mesh.is_watertight:
        grid[...] = fill_closed(grid)
    return grid


def build_split(sources: Sequence[Source], kind: str, settings: VoxelSettings, writer: Any,
                skip_bad_files: bool = False, progress: Progress | None = None) -> None:
    """Voxelise ``sources`` into ``writer`` (``writer.array(name, shape, dtype)`` gives writable arrays)."""
    r = settings.resolution
    n = len(sources)
    grids = writer.array("grids", (n, 1, r, r, r), np.uint8)
    labels = writer.array("labels", (n,), np.int64)
    count = writer.array("count", (1,), np.int64)
    skipped = writer.array("skipped", (1,), np.int64)
    stats = writer.array("stats", (2,), np.float64)
    row, total, total_sq = 0, 0.0, 0.0
    for i, source in enumerate(sources):
        try:
            grid = voxelize_source(source, kind, settings, grids[row, 0])
        except DataError:
            if not skip_bad_files:
                raise
            skipped[0] += 1
        else:
            labels[row] = source.label
            s = float(grid.sum(dtype=np.int64))
            total, total_sq = total + s, total_sq + s  # occupancy is 0/1: x^2 = x
            row += 1
        if progress is not None:
            progress(i + 1, n)
    if row:
        grids[row:] = 0
        labels[row:] = -1
    if row == 0:
        raise DataError(f"every one of the {n} files was skipped as unreadable; no instance is left")
    cells = row * r ** 3
    mean = total / cells
    stats[:] = (mean, max(total_sq / cells - mean * mean, 0.0) ** 0.5)
    count[0] = row


def split_arrays(layout: Layout, split: str, settings: VoxelSettings, skip_bad_files: bool = False,
                 cache_dir: Path | None = None, cache: bool = True,
                 progress: Progress | None = None) -> dict[str, np.ndarray]:
    """The cached arrays of ``split`` (built on a miss); see the module docstring for their names."""
    from ddif_core import cached_arrays, source_key

    sources = layout.split(split)
    options = {"layout": type(layout).__name__, "split": split, "classes": list(layout.class_names),
               "kind": layout.kind, "skip_bad_files": skip_bad_files, **asdict(settings)}
    if layout.kind == "points":
        options.pop("fill"), options.pop("points")  # they change nothing for point files
    key = source_key([s.path for s in sources], options)

    def build(writer: Any) -> None:
        build_split(sources, layout.kind, settings, writer, skip_bad_files, progress)

    return cached_arrays("voxel", key, build, cache_dir=cache_dir, enabled=cache)
