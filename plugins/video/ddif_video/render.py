"""Decoded clips for people: a frame strip per class, animated GIFs per class, MP4/GIF/PNG exports.

* ``preview``   -> ``preview.png``: one row per class (its name on the left), the frames of its
  first clip left to right, upscaled (nearest) to at least 64 px.
* ``per-class`` -> ``<label>_<Class>.gif``: up to 8 clips of the class side by side, 25 fps, looping.
* ``compare``   -> ``compare.png``: per class, the first clip at every decoded shape, 8 frames each
  at the same moments of the clip, all drawn at the largest size (nearest).
* ``export``    -> one file per clip in instance order, ``<index>_<label>_<Class>.<fmt>``:
  ``mp4`` (H.264 where PyAV's FFmpeg has it, else MPEG-4; plays in browsers), ``gif``, ``png`` (frame strip).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ddif_core import ConfigError
from ddif_video.encode import write_gif, write_png, write_video

MIN_SIDE = 64
LABEL_WIDTH = 150
GIF_CLIPS = 8


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "class"


def to_uint8(modality: Any, x: torch.Tensor) -> np.ndarray:
    """(K, 3, T, H, W) normalised clips -> (K, T, H, W, 3) uint8."""
    rgb = modality.denormalize(x.detach().float().cpu().clone())
    return rgb.mul_(255.0).round_().to(torch.uint8).permute(0, 2, 3, 4, 1).numpy()


def _upscale(frames: np.ndarray, factor: int) -> np.ndarray:
    """(..., H, W, 3) -> (..., H*f, W*f, 3) nearest."""
    return frames if factor == 1 else frames.repeat(factor, axis=-3).repeat(factor, axis=-2)


def _labelled_rows(rows: list[np.ndarray], names: list[str]) -> np.ndarray:
    """Stack image rows (h, w_i, 3) with a white margin holding each row's class name."""
    from PIL import Image, ImageDraw

    width = max(r.shape[1] for r in rows)
    out = []
    for row, name in zip(rows, names):
        band = np.full((row.shape[0] + 2, LABEL_WIDTH + width, 3), 255, np.uint8)
        band[1:1 + row.shape[0], LABEL_WIDTH:LABEL_WIDTH + row.shape[1]] = row
        img = Image.fromarray(band)
        ImageDraw.Draw(img).text((4, max(2, row.shape[0] // 2 - 6)), name[:22], fill=(0, 0, 0))
        out.append(np.asarray(img))
    return np.concatenate(out, axis=0)


def _strip(clip: np.ndarray, factor: int) -> np.ndarray:
    """(T, H, W, 3) -> (H*f, T*(W*f+2), 3) frames left to right with 2 px white gaps."""
    frames = _upscale(clip, factor)
    gap = np.full((frames.shape[1], 2, 3), 255, np.uint8)
    return np.concatenate([np.concatenate([f, gap], axis=1) for f in frames], axis=1)


def _factor(side: int) -> int:
    return max(1, -(-MIN_SIDE // side))


def render(modality: Any, x: Any, y: torch.Tensor, out_dir: Path, purpose: str, fmt: str | None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(modality.class_names)
    y = y.detach().cpu()
    if purpose == "compare":
        return [_compare(modality, list(x), y, out_dir, names)]
    clips = to_uint8(modality, x)  # (K, T, H, W, 3)
    present = [c for c in range(len(names)) if bool((y == c).any())]
    if purpose == "preview":
        f = _factor(min(clips.shape[2], clips.shape[3]))
        rows = [_strip(clips[int(torch.nonzero(y == c)[0])], f) for c in present]
        return [write_png(out_dir / "preview.png", _labelled_rows(rows, [f"{c} {names[c]}" for c in present])).relative_to(out_dir)]
    if purpose == "per-class":
        paths = []
        for c in present:
            idx = torch.nonzero(y == c).flatten()[:GIF_CLIPS].tolist()
            f = _factor(min(clips.shape[2], clips.shape[3]))
            side_by_side = np.concatenate([_upscale(clips[i], f) for i in idx], axis=2)  # (T, H, W*k, 3)
            path = out_dir / f"{c:03d}_{_safe(names[c])}.gif"
            paths.append(write_gif(path, side_by_side).relative_to(out_dir))
        return paths
    if purpose == "export":
        fmt = fmt or modality.export_formats[0]
        if fmt not in modality.export_formats:
            raise ConfigError(f"--format {fmt} is not a video export format; use {', '.join(modality.export_formats)} or npy")
        paths = []
        for i, clip in enumerate(clips):
            c = int(y[i])
            path = out_dir / f"{i:05d}_{c:03d}_{_safe(names[c])}.{fmt}"
            if fmt == "png":
                write_png(path, _strip(clip, 1))
            elif fmt == "gif":
                write_gif(path, clip)
            else:
                write_video(path, clip)
            paths.append(path.relative_to(out_dir))
        return paths
    return []


def _compare(modality: Any, xs: list[torch.Tensor], y: torch.Tensor, out_dir: Path, names: list[str]) -> Path:
    """Per class: its first clip at every shape of ``xs``, 8 frames at the same moments, at the largest size."""
    side = max(max(v.shape[3], v.shape[4]) for v in xs)
    present = [c for c in range(len(names)) if bool((y == c).any())]
    moments = np.linspace(0.0, 1.0, 8)
    rows = []
    for c in present:
        i = int(torch.nonzero(y == c)[0])
        parts = []
        for v in xs:
            clip = to_uint8(modality, v[i:i + 1])[0]  # (T, H, W, 3)
            picks = np.round(moments * (clip.shape[0] - 1)).astype(int)
            f = max(1, side // max(clip.shape[1], clip.shape[2])) * _factor(side)
            parts.append(_strip(clip[picks], f))
            parts.append(np.full((parts[-1].shape[0], 8, 3), 255, np.uint8))
        h = max(p.shape[0] for p in parts)
        parts = [np.pad(p, ((0, h - p.shape[0]), (0, 0), (0, 0)), constant_values=255) for p in parts]
        rows.append(np.concatenate(parts, axis=1))
    labels = [f"{c} {names[c]}" for c in present]
    return write_png(out_dir / "compare.png", _labelled_rows(rows, labels)).relative_to(out_dir)
