"""Pictures of decoded images for people: labelled per-class overviews, per-class sheets, resolution
comparisons and one PNG per instance.

Every picture is drawn from pixels in [0, 1] (the modality's ``denormalize``); small instances are
scaled up with nearest-neighbour sampling to at least :data:`MIN_TILE` pixels, so a 28x28 field is
seen as it is, pixel by pixel, and each class's band is labelled with the class's index and name.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

#: The smallest side a tile is drawn at (nearest-neighbour upscaling by an integer factor).
MIN_TILE = 64
#: Tiles per row inside a class's band before it wraps.
PER_ROW = 10
PAD = 4
BACKGROUND = 255
LABEL_HEIGHT = 22


def safe_name(name: str) -> str:
    """A class name as a portable file-name part."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name)


def upscale(x: torch.Tensor, side: int | None = None) -> torch.Tensor:
    """(K, C, H, W) in [0, 1] -> nearest-neighbour upscaled by an integer factor to a side of at least
    ``MIN_TILE`` (or exactly ``side`` when given)."""
    if side is None:
        factor = max(1, math.ceil(MIN_TILE / max(x.shape[2], x.shape[3])))
        size = (x.shape[2] * factor, x.shape[3] * factor)
    else:
        size = (side, side)
    return x if tuple(x.shape[2:]) == size else F.interpolate(x, size=size, mode="nearest")


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(C, H, W) in [0, 1] -> (H, W, 3) uint8 (grey images repeated to RGB)."""
    img = x.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8)
    if img.shape[0] == 1:
        img = img.expand(3, -1, -1)
    return img[:3].permute(1, 2, 0).numpy()


def _font(size: int = 14):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the small bitmap font
        return ImageFont.load_default()


def band_sheet(bands: list[tuple[str, list[torch.Tensor]]], path: Path, per_row: int = PER_ROW) -> None:
    """Save one PNG of labelled bands: each band is a title line and its tiles, wrapping after ``per_row``.

    :param bands: (title, tiles) per band; tiles are (C, h, w) in [0, 1], all of one size.
    """
    from PIL import Image, ImageDraw

    tile = next((t for _, ts in bands for t in ts), None)
    th, tw = (tile.shape[1], tile.shape[2]) if tile is not None else (MIN_TILE, MIN_TILE)
    cols = max(1, min(per_row, max((len(ts) for _, ts in bands), default=1)))
    width = max(PAD + cols * (tw + PAD), 320)
    heights = [LABEL_HEIGHT + max(1, math.ceil(len(ts) / cols)) * (th + PAD) + PAD for _, ts in bands]
    canvas = np.full((sum(heights), width, 3), BACKGROUND, dtype=np.uint8)
    top = 0
    for (_, tiles), h in zip(bands, heights):
        for i, t in enumerate(tiles):
            r, c = divmod(i, cols)
            y0, x0 = top + LABEL_HEIGHT + r * (th + PAD), PAD + c * (tw + PAD)
            canvas[y0 : y0 + th, x0 : x0 + tw] = to_uint8(t)
        top += h
        canvas[top - 1 : top, :] = 200  # a thin rule between classes
    img = Image.fromarray(canvas)
    draw, font, top = ImageDraw.Draw(img), _font(), 0
    for (title, _), h in zip(bands, heights):
        draw.text((PAD, top + 3), title, fill=(0, 0, 0), font=font)
        top += h
    img.save(path, format="PNG")


def save_png(x: torch.Tensor, path: Path) -> None:
    """One instance (C, H, W) in [0, 1] as a PNG at its own size (L for one channel, RGB for three)."""
    from PIL import Image

    img = x.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    Image.fromarray(img[..., 0] if img.shape[2] == 1 else img).save(path, format="PNG")
