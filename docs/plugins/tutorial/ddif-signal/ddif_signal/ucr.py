"""Reader of the UCR time-series archive layout: ``<Name>/<Name>_TRAIN.tsv`` and ``<Name>_TEST.tsv``.

Each line is one series: the label, then the values, separated by tabs (the 2018 archive; commas
are accepted too). Variable-length series end in ``NaN``; they are resampled (linearly) to the
length of the longest training series, or to ``length`` when given. Labels are any numbers; the
classes are the distinct training labels in increasing numeric order, named by their text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ddif_core import DataError


@dataclass(frozen=True)
class UCRSplit:
    """One split: ``values`` (N, L) float32, ``labels`` (N,) raw label strings."""

    values: np.ndarray
    labels: list[str]


def find_dataset(root: Path, name: str | None) -> tuple[str, Path]:
    """The dataset folder under ``root``: ``root/<name>/``, or ``root`` itself when it holds ``<name>_TRAIN.tsv``.

    Without ``name``, ``root`` must hold exactly one ``*_TRAIN.tsv`` (directly or one folder down).
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"dataset root {root} does not exist or is not a folder")
    if name:
        for folder in (root / name, root):
            if (folder / f"{name}_TRAIN.tsv").is_file():
                return name, folder
        raise DataError(f"{root} has no {name}/{name}_TRAIN.tsv (UCR layout: <Name>/<Name>_TRAIN.tsv, <Name>_TEST.tsv)")
    found = sorted(root.glob("*_TRAIN.tsv")) or sorted(root.glob("*/*_TRAIN.tsv"))
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        raise DataError(
            f"{root} holds {what} UCR datasets (<Name>/<Name>_TRAIN.tsv); pass one with --set modality.name=NAME"
        )
    return found[0].name.removesuffix("_TRAIN.tsv"), found[0].parent


def read_split(path: Path) -> UCRSplit:
    """Parse one ``.tsv`` file; every malformed line is one sentence naming the file and line."""
    if not path.is_file():
        raise DataError(f"{path} does not exist (UCR layout: <Name>/<Name>_TRAIN.tsv and <Name>_TEST.tsv)")
    rows: list[list[float]] = []
    labels: list[str] = []
    with open(path, encoding="utf-8", errors="strict") as f:
        try:
            lines = f.read().splitlines()
        except UnicodeDecodeError:
            raise DataError(f"{path} is not a text file (expected tab-separated numbers)") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        cells = line.replace(",", "\t").split()
        if len(cells) < 2:
            raise DataError(f"{path} line {number}: expected a label and at least one value")
        try:
            label = float(cells[0])
            values = [float(c) for c in cells[1:]]
        except ValueError:
            raise DataError(f"{path} line {number}: expected numbers separated by tabs") from None
        if not math.isfinite(label):
            raise DataError(f"{path} line {number}: the label {cells[0]!r} is not a finite number")
        labels.append(_label_text(label))
        rows.append(values)
    if not rows:
        raise DataError(f"{path} holds no series")
    return UCRSplit(_to_matrix(rows, path), labels)


def _label_text(label: float) -> str:
    return str(int(label)) if label == int(label) else repr(label)


def _to_matrix(rows: list[list[float]], path: Path) -> np.ndarray:
    """(N, L) with trailing NaN (variable length) cut; rows of other lengths are resampled later."""
    trimmed = []
    for i, r in enumerate(rows):
        arr = np.asarray(r, dtype=np.float64)
        valid = np.isfinite(arr)
        n = int(valid.sum())
        if n < 2 or not valid[:n].all():
            raise DataError(f"{path}: series {i + 1} has {'fewer than 2 values' if n < 2 else 'missing values inside'}")
        trimmed.append(arr[:n])
    length = max(len(r) for r in trimmed)
    return np.stack([resample_series(r, length) for r in trimmed]).astype(np.float32)


def resample_series(values: np.ndarray, length: int) -> np.ndarray:
    """Linear resampling of one series to ``length`` points (end points kept)."""
    if len(values) == length:
        return values
    src = np.linspace(0.0, 1.0, len(values))
    dst = np.linspace(0.0, 1.0, length)
    return np.interp(dst, src, values)


def write_split(path: Path, values: np.ndarray, labels: list[int]) -> None:
    """Write series in the UCR ``.tsv`` format (label, then values, tab-separated)."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for label, row in zip(labels, values):
            f.write("\t".join([str(int(label)), *(f"{v:.6g}" for v in row.tolist())]) + "\n")
