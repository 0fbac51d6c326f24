"""Signals for people: line plots as PNG (Pillow) and one CSV per series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

#: One colour per channel / per resolution in a comparison.
COLOURS = ((31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14))
PLOT_W, PLOT_H, LABEL_W = 160, 64, 90


def _plot(draw: ImageDraw.ImageDraw, series: list[np.ndarray], box: tuple[int, int, int, int]) -> None:
    """Draw the curves ``series`` (each (m, L): channels) into ``box`` = (x0, y0, x1, y1), one scale for all."""
    x0, y0, x1, y1 = box
    draw.rectangle(box, outline=(200, 200, 200))
    lo = min(float(s.min()) for s in series)
    hi = max(float(s.max()) for s in series)
    span = hi - lo or 1.0
    for j, s in enumerate(series):
        for c, channel in enumerate(s):
            xs = np.linspace(x0 + 2, x1 - 2, channel.shape[0])
            ys = y1 - 2 - (channel - lo) / span * (y1 - y0 - 4)
            colour = COLOURS[(j + c) % len(COLOURS)]
            draw.line(list(zip(xs.tolist(), ys.tolist())), fill=colour, width=1)


def grid_png(rows: list[tuple[str, list[list[np.ndarray]]]], path: Path, per_row: int = 8) -> None:
    """A PNG with one band per class: its name, then up to ``per_row`` plots per line (wrapping inside the band).

    :param rows: ``(class name, plots)``; each plot is a list of curves (m, L) drawn on one axis.
    """
    lines = [max(1, -(-len(plots) // per_row)) for _, plots in rows]
    width = LABEL_W + per_row * (PLOT_W + 4)
    height = sum(n * (PLOT_H + 4) for n in lines) + 4
    img = Image.new("RGB", (width, max(height, PLOT_H)), "white")
    draw = ImageDraw.Draw(img)
    top = 2
    for (name, plots), n in zip(rows, lines):
        draw.text((4, top + PLOT_H // 2 - 6), name[:14], fill=(0, 0, 0))
        for i, curves in enumerate(plots):
            r, c = divmod(i, per_row)
            x = LABEL_W + c * (PLOT_W + 4)
            y = top + r * (PLOT_H + 4)
            _plot(draw, curves, (x, y, x + PLOT_W, y + PLOT_H))
        top += n * (PLOT_H + 4)
    img.save(path, format="PNG")


def single_png(curves: list[np.ndarray], path: Path) -> None:
    """One series (list of (m, L) curves) as a 320x128 PNG."""
    img = Image.new("RGB", (320, 128), "white")
    _plot(ImageDraw.Draw(img), curves, (2, 2, 317, 125))
    img.save(path, format="PNG")


def write_csv(values: np.ndarray, path: Path) -> None:
    """One series (m, L) as CSV: a header ``t,channel_0,...``, then one row per point (t in [-1, 1])."""
    m, length = values.shape
    t = np.linspace(-1.0, 1.0, length)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join(["t", *(f"channel_{c}" for c in range(m))]) + "\n")
        for i in range(length):
            f.write(",".join([f"{t[i]:.6g}", *(f"{values[c, i]:.6g}" for c in range(m))]) + "\n")
