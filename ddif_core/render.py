"""Files for people, through the modality's one ``render`` hook: the run's previews and ``ddif decode``'s exports.

The core never names a modality's files: it asks ``Modality.render`` for a purpose and keeps the
paths it returns. For ``npy`` (and for modalities that export nothing) the core writes one ``.npy``
per instance itself. Everything appears atomically (a temporary folder renamed into place).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from ddif_core import artifact
from ddif_core.errors import ConfigError, PluginError
from ddif_core.modality import Modality
from ddif_core.outdir import new_output_dir

#: The export format every modality has, written by the core.
NPY = "npy"


def _checked(modality: Modality, purpose: str, paths: list[Path], root: Path) -> list[Path]:
    """The paths ``render`` returned, as relative paths of files that exist under ``root``."""
    out = []
    for p in paths:
        rel = Path(p)
        if rel.is_absolute() or ".." in rel.parts or not (root / rel).is_file():
            raise PluginError(
                f"modality '{modality.name}' render({purpose!r}) returned {str(p)!r}, which is not a file it wrote "
                f"under the folder it was given (paths must be relative to it)"
            )
        out.append(rel)
    return out


def write_previews(modality: Modality, x: torch.Tensor, y: torch.Tensor, run_dir: Path) -> list[Path]:
    """Render ``"preview"`` into ``run_dir`` and ``"per-class"`` into ``run_dir/previews/``.

    :param x: (K, m, N...) decoded instances; y: (K,) labels. Returns the files written, relative to
        ``run_dir`` (none for a modality that renders nothing).
    """
    x, y = x.detach().cpu(), y.detach().cpu()
    run_dir = Path(run_dir)
    written: list[Path] = []
    tmp = Path(tempfile.mkdtemp(prefix=".preview.", dir=run_dir))
    try:
        made = _checked(modality, "preview", modality.render(x, y, tmp, "preview"), tmp)
        for rel in made:
            (run_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / rel, run_dir / rel)
        written += made
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=".previews.", dir=run_dir))
    try:
        made = _checked(modality, "per-class", modality.render(x, y, tmp, "per-class"), tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not made:
        shutil.rmtree(tmp, ignore_errors=True)
        return written
    with artifact.atomic_dir(run_dir / "previews") as folder:
        folder.rmdir()
        os.replace(tmp, folder)
    return written + [Path("previews") / rel for rel in made]


def export_format(modality: Modality, fmt: str | None) -> str:
    """The format ``ddif decode --format`` resolves to: the given one, else the modality's first, else npy."""
    choices = (*modality.export_formats, NPY)
    if fmt is None:
        return choices[0]
    if fmt not in choices:
        raise ConfigError(f"--format {fmt} is not an export format of modality '{modality.name}'; "
                          f"use one of {', '.join(choices)}")
    return fmt


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name)


def export_npy(x: torch.Tensor, y: torch.Tensor, out_dir: Path, class_names: list[str]) -> list[Path]:
    """One ``.npy`` per instance, (m, N_1..N_n) float32 as decoded (normalised), in instance order:
    ``<label>_<class>/<index in class>.npy``."""
    out: list[Path] = []
    counters: dict[int, int] = {}
    for inst, label in zip(x.detach().cpu().float(), y.tolist()):
        name = class_names[label] if label < len(class_names) else str(label)
        rel = Path(f"{label:03d}_{_safe(name)}") / f"{counters.get(label, 0):05d}.npy"
        counters[label] = counters.get(label, 0) + 1
        (out_dir / rel.parent).mkdir(parents=True, exist_ok=True)
        np.save(out_dir / rel, inst.numpy(), allow_pickle=False)
        out.append(rel)
    return out


def fill_decoded(modality: Modality, x: torch.Tensor, y: torch.Tensor, folder: Path, fmt: str,
                 compare: list[torch.Tensor] | None = None) -> list[Path]:
    """Fill ``folder`` (new and empty) for ``ddif decode``: one file per instance in format ``fmt`` (see
    :func:`export_format`), ``labels.csv`` (path, label, class_name) and a picture for people (``"compare"``
    of the tensors in ``compare`` when given, else ``"preview"``). Returns the instance files, in order.
    """
    x, y = x.detach().cpu(), y.detach().cpu()
    if fmt == NPY:
        files = export_npy(x, y, folder, modality.class_names)
    else:
        files = _checked(modality, "export", modality.render(x, y, folder, "export", fmt), folder)
        if len(files) != x.shape[0]:
            raise PluginError(f"modality '{modality.name}' exported {len(files)} {fmt} files for {x.shape[0]} "
                              f"instances; render('export') writes one file per instance, in order")
    if compare is not None:
        _checked(modality, "compare", modality.render([v.detach().cpu() for v in compare], y, folder, "compare"),
                 folder)
    else:
        _checked(modality, "preview", modality.render(x, y, folder, "preview"), folder)
    names = modality.class_names
    with open(folder / "labels.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "class_name"])
        for path, label in zip(files, y.tolist()):
            w.writerow([path.as_posix(), label, names[label] if label < len(names) else ""])
    return files


def write_decoded(modality: Modality, x: torch.Tensor, y: torch.Tensor, out_dir: Path, fmt: str | None,
                  compare: list[torch.Tensor] | None = None) -> tuple[list[Path], str]:
    """:func:`fill_decoded` into ``out_dir`` atomically (a temporary folder beside it, renamed when complete).

    :raises ConfigError: ``out_dir`` exists and is not empty, or ``fmt`` is not a format of the modality.
    """
    fmt = export_format(modality, fmt)
    with new_output_dir(out_dir) as tmp:
        files = fill_decoded(modality, x, y, tmp, fmt, compare)
    return files, fmt
