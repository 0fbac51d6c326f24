"""Point-cloud text files: the PointNet++ ModelNet release (``x,y,z,nx,ny,nz`` rows) and ShapeNet-Part
(``x y z nx ny nz part`` rows). Only the first three columns (the coordinates) are used."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ddif_core import DataError


class PointFileError(DataError):
    """A malformed point file; ``str(err)`` is one sentence naming the file."""


def read_points(path: Path) -> np.ndarray:
    """Read a text file of one point per line, values separated by commas and/or spaces.

    :returns: (P, 3) float64 coordinates (the first three columns).
    """
    try:
        text = Path(path).read_bytes().decode("latin-1")
    except OSError as exc:
        raise PointFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    rows = [line.replace(",", " ").split() for line in text.splitlines()]
    rows = [r for r in rows if r]
    if not rows:
        raise PointFileError(f"{path} holds no points, expected rows of x y z values")
    width = len(rows[0])
    if width < 3:
        raise PointFileError(f"{path} has rows of {width} value(s), expected at least 3 columns (x y z ...)")
    uneven = next((i for i, r in enumerate(rows) if len(r) != width), None)
    if uneven is not None:
        raise PointFileError(f"{path}: row {uneven} has {len(rows[uneven])} values, expected {width} like the first")
    try:
        xyz = np.array([r[:3] for r in rows], dtype=np.float64)
    except ValueError:
        bad = next(i for i, r in enumerate(rows) if not _numbers(r[:3]))
        raise PointFileError(f"{path}: row {bad} is {' '.join(rows[bad][:3])!r}, expected numbers") from None
    if not np.isfinite(xyz).all():
        raise PointFileError(f"{path} has a coordinate that is NaN or infinite")
    return xyz


def _numbers(tokens: list[str]) -> bool:
    try:
        [float(t) for t in tokens]
    except ValueError:
        return False
    return True
