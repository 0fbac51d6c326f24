"""Decoded spectrograms for people: PNG grids (frequency upwards, time to the right) and WAV files.

Inputs are log magnitudes as :mod:`ddif_audio.spectrogram` makes them (standardisation already undone),
(K, 1, F, T) with row 0 the lowest frequency.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ddif_audio.png import colourise, write_png
from ddif_audio.spectrogram import LOG_EPS, griffin_lim
from ddif_audio.wav import SAMPLE_RATE, write_wav

PAD = 2  # white pixels between tiles
MIN_TILE = 64  # tiles are shown at least this tall (nearest-neighbour), so a 16x16 spectrogram is visible
#: Fixed range of exported PNGs: log(1e-3) (silence) to log(64) (about a full-scale sine's peak bin).
EXPORT_RANGE = (float(np.log(LOG_EPS)), float(np.log(64.0)))


def safe(name: str) -> str:
    """A class name as a portable file-name part."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name)


def class_folder(label: int, name: str) -> str:
    return f"{label}_{safe(name)}"


def _scaled(x: torch.Tensor, lo: float, hi: float, height: int) -> np.ndarray:
    """(K, 1, F, T) log magnitudes -> (K, H, W) values in [0, 1], frequency upwards, nearest-upscaled."""
    v = ((x[:, 0].float() - lo) / max(hi - lo, 1e-6)).clamp(0, 1).flip(1)  # (K, F, T), top row = highest freq
    if v.shape[1] != height:
        factor = height / v.shape[1]
        v = F.interpolate(v[:, None], size=(height, max(1, round(v.shape[2] * factor))), mode="nearest")[:, 0]
    return v.numpy()


def _grid(rows: list[list[np.ndarray | None]], tile: tuple[int, int]) -> np.ndarray:
    """Tiles (H, W) in [0, 1] (None: left empty) laid out row by row -> (H', W', 3) uint8 with white padding."""
    h, w = tile
    ncols = max((len(r) for r in rows), default=0)
    out = np.full((len(rows) * (h + PAD) + PAD, ncols * (w + PAD) + PAD, 3), 255, np.uint8)
    for i, row in enumerate(rows):
        for j, t in enumerate(row):
            if t is not None:
                top, left = PAD + i * (h + PAD), PAD + j * (w + PAD)
                out[top:top + h, left:left + w] = colourise(t)
    return out


def preview_grid(x: torch.Tensor, y: torch.Tensor, num_classes: int, per_class: int = 10) -> np.ndarray:
    """One row per class with up to ``per_class`` of its spectrograms; one colour scale for all."""
    lo, hi = float(x.min()), float(x.max())
    height = max(MIN_TILE, x.shape[2])
    tiles = _scaled(x, lo, hi, height)
    rows: list[list[np.ndarray | None]] = []
    for c in range(num_classes):
        idx = torch.nonzero(y == c).flatten()[:per_class].tolist()
        rows.append([tiles[i] for i in idx])
    return _grid(rows, tiles.shape[1:])


def compare_grid(xs: list[torch.Tensor], y: torch.Tensor, num_classes: int, per_class: int = 5) -> np.ndarray:
    """Per class, up to ``per_class`` instances, each at every shape of ``xs`` side by side (nearest-upscaled
    to the largest, so a coarse grid looks blocky and a field decoded on a finer grid does not)."""
    height = max(MIN_TILE, max(v.shape[2] for v in xs))
    width = max(v.shape[3] for v in xs) * height // max(v.shape[2] for v in xs)
    lo, hi = min(float(v.min()) for v in xs), max(float(v.max()) for v in xs)
    shown = [F.interpolate(v.float(), size=(height, width), mode="nearest") for v in xs]
    tiles = [_scaled(v, lo, hi, height) for v in shown]
    rows: list[list[np.ndarray | None]] = []
    for c in range(num_classes):
        row: list[np.ndarray | None] = []
        for i in torch.nonzero(y == c).flatten()[:per_class].tolist():
            row.extend(t[i] for t in tiles)
        rows.append(row)
    return _grid(rows, (height, width))


def write_preview(x: torch.Tensor, y: torch.Tensor, num_classes: int, path: Path) -> None:
    write_png(path, preview_grid(x, y, num_classes))


def write_compare(xs: list[torch.Tensor], y: torch.Tensor, num_classes: int, path: Path) -> None:
    write_png(path, compare_grid(xs, y, num_classes))


def write_class_wavs(x: torch.Tensor, y: torch.Tensor, class_names: list[str], out_dir: Path,
                     per_class: int = 5, gap: float = 0.25) -> list[Path]:
    """``<label>_<word>.wav`` per class: up to ``per_class`` of its instances after one another, with
    ``gap`` seconds of silence between them, to listen to."""
    silence = np.zeros(int(gap * SAMPLE_RATE), np.float32)
    chosen = [torch.nonzero(y == c).flatten()[:per_class] for c in range(len(class_names))]
    flat = torch.cat(chosen) if chosen else torch.zeros(0, dtype=torch.long)
    clips = griffin_lim(x[flat]).numpy() if flat.numel() else np.zeros((0, SAMPLE_RATE), np.float32)
    out: list[Path] = []
    start = 0
    for c, idx in enumerate(chosen):
        if idx.numel() == 0:
            continue
        parts = [p for clip in clips[start:start + idx.numel()] for p in (clip, silence)][:-1]
        start += idx.numel()
        rel = Path(f"{class_folder(c, class_names[c])}.wav")
        write_wav(out_dir / rel, np.concatenate(parts))
        out.append(rel)
    return out


def export_instances(x: torch.Tensor, y: torch.Tensor, class_names: list[str], out_dir: Path,
                     fmt: str) -> list[Path]:
    """One file per instance, in instance order, as ``<label>_<word>/<k>.<fmt>`` (k counts within the class).

    ``wav``: 16-bit 16 kHz audio by Griffin-Lim; ``png``: the spectrogram at its own size, frequency
    upwards, log magnitude mapped linearly from log(1e-3) to log(64) onto 0..255 grey levels.
    """
    clips = griffin_lim(x).numpy() if fmt == "wav" else None
    counts: dict[int, int] = {}
    out: list[Path] = []
    for i, label in enumerate(y.tolist()):
        k = counts.get(label, 0)
        counts[label] = k + 1
        rel = Path(class_folder(label, class_names[label])) / f"{k:05d}.{fmt}"
        (out_dir / rel.parent).mkdir(parents=True, exist_ok=True)
        if clips is not None:
            write_wav(out_dir / rel, clips[i])
        else:
            grey = _scaled(x[i:i + 1], *EXPORT_RANGE, x.shape[2])[0]
            write_png(out_dir / rel, np.round(grey * 255).astype(np.uint8))
        out.append(rel)
    return out
