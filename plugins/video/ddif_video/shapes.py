"""Moving shapes: procedural clips whose classes differ by motion, not by appearance.

Every clip draws one striped shape (disc, square, triangle or diamond; colours, size, stripes and
background texture all random, in every class) on a textured background seen by a jittering camera.
The class is only in how the shape moves: translation direction, rotation sense, growing, shrinking,
bouncing, blinking, orbiting, speed. A network has to look across frames to tell them apart, which
is what a video distillation method must keep.

The clips are written by :mod:`ddif_video.generator` as real MPEG-4 ``.avi`` files in the UCF101
layout, so they go through the same reader as UCF101 itself.
"""

from __future__ import annotations

import math

import numpy as np

#: Motion classes, in label order (a dataset of N classes uses the first N).
MOTIONS: tuple[str, ...] = (
    "MoveRight", "MoveLeft", "MoveUp", "MoveDown", "RotateClockwise", "RotateCounterclockwise",
    "Grow", "Shrink", "Bounce", "Blink", "Orbit", "Dash",
)
KINDS = ("disc", "square", "triangle", "diamond")
_DIRECTIONS = {"MoveRight": (1.0, 0.0), "MoveLeft": (-1.0, 0.0), "MoveUp": (0.0, -1.0), "MoveDown": (0.0, 1.0),
               "Dash": (1.0, 0.0)}


def _inside(kind: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Mask of the unit shape ``kind`` at local coordinates (u, v) (y down)."""
    if kind == "disc":
        return u * u + v * v <= 1.0
    if kind == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if kind == "diamond":
        return np.abs(u) + np.abs(v) <= 1.0
    # an upright triangle with its centroid at the origin
    return (v <= 0.5) & (v >= 1.732 * np.abs(u) - 1.0)


def _trajectory(motion: str, rng: np.random.Generator, length: int, width: int, height: int,
                radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame centre x, y, angle (rad), scale and visibility of the shape, each (length,)."""
    t = np.arange(length, dtype=np.float64)
    unit = width / 320.0
    # starting points inside the part of the frame the 160x120 -> 112 centre crop keeps
    cx = np.full(length, width / 2 + rng.uniform(-0.25, 0.25) * width)
    cy = np.full(length, height / 2 + rng.uniform(-0.3, 0.3) * height)
    angle = np.full(length, rng.uniform(0, 2 * math.pi))
    scale = np.ones(length)
    visible = np.ones(length, dtype=bool)
    if motion in _DIRECTIONS:
        dx, dy = _DIRECTIONS[motion]
        speed = rng.uniform(4.0, 5.5) if motion == "Dash" else rng.uniform(1.2, 2.4)
        travel = speed * unit * (t - (length - 1) / 2)  # the path is centred on the starting point
        span_x, span_y = width + 2 * radius, height + 2 * radius  # leaving one side, coming back on the other
        cx = (cx + dx * travel + radius) % span_x - radius
        cy = (cy + dy * travel + radius) % span_y - radius
    elif motion.startswith("Rotate"):
        sense = 1.0 if motion == "RotateClockwise" else -1.0  # y points down: +angle turns clockwise on screen
        angle = angle + sense * math.radians(rng.uniform(4.0, 8.0)) * t
    elif motion in ("Grow", "Shrink"):
        lo, hi = rng.uniform(0.45, 0.65), rng.uniform(1.5, 1.9)
        ramp = t / max(1, length - 1)
        scale = lo * (hi / lo) ** (ramp if motion == "Grow" else 1.0 - ramp)
    elif motion == "Bounce":
        period = rng.uniform(18.0, 30.0)
        floor = height - radius
        cy = floor - rng.uniform(0.35, 0.55) * height * np.abs(np.sin(math.pi * t / period + rng.uniform(0, math.pi)))
    elif motion == "Blink":
        half = int(rng.integers(4, 8))
        visible = ((t.astype(np.int64) + int(rng.integers(0, 2 * half))) // half) % 2 == 0
    elif motion == "Orbit":
        r = rng.uniform(0.15, 0.25) * height
        omega = math.radians(rng.uniform(6.0, 10.0)) * (1 if rng.random() < 0.5 else -1)
        phase = rng.uniform(0, 2 * math.pi)
        ox = np.clip(cx, r + radius, width - r - radius)
        oy = np.clip(cy, r + radius, height - r - radius)
        cx, cy = ox + r * np.cos(phase + omega * t), oy + r * np.sin(phase + omega * t)
    else:
        raise ValueError(f"unknown motion {motion!r}")
    return cx, cy, angle, scale, visible


def render_clip(label: int, rng: np.random.Generator, width: int = 320, height: int = 240,
                length: int = 64) -> np.ndarray:
    """One clip of motion class ``label``: (length, height, width, 3) uint8 frames."""
    motion = MOTIONS[label]
    kind = KINDS[int(rng.integers(0, len(KINDS)))]
    colours = rng.integers(0, 256, size=(4, 3)).astype(np.float32)  # shape stripes a/b, background a/b
    # A faint background texture (a fifth of the colour range, around a dark grey) and a large shape: with a
    # strong texture and small shapes, ConvNet3D trained on ~200 clips memorised appearance and stayed at
    # chance on held-out clips (generator version 1); the motion has to be the strongest signal.
    colours[2:] = 0.2 * colours[2:] + 72
    radius = rng.uniform(0.18, 0.26) * min(width, height)
    stripes = rng.uniform(1.5, 3.5)
    bg_freq = rng.uniform(0.01, 0.04, size=2) * 320 / width
    bg_phase = rng.uniform(0, 2 * math.pi)
    cx, cy, angle, scale, visible = _trajectory(motion, rng, length, width, height, radius)
    pad = 6
    jitter = np.clip(np.round(np.cumsum(rng.normal(0.0, 0.7 * width / 320, size=(length, 2)), axis=0)), -pad, pad)
    ys, xs = np.mgrid[-pad:height + pad, -pad:width + pad].astype(np.float32)
    mix = 0.5 + 0.5 * np.sin(bg_freq[0] * xs + bg_freq[1] * ys + bg_phase)
    background = np.clip(colours[2] + (colours[3] - colours[2]) * mix[..., None], 0, 255).astype(np.uint8)
    out = np.empty((length, height, width, 3), dtype=np.uint8)
    for f in range(length):
        jx, jy = int(jitter[f, 0]), int(jitter[f, 1])  # the shaken camera sees the world shifted by (jx, jy)
        out[f] = background[pad + jy:pad + jy + height, pad + jx:pad + jx + width]
        if not visible[f]:
            continue
        r = radius * scale[f]
        # the shape's bounding box in frame pixels (world centre minus the camera shift)
        fx, fy = cx[f] - jx, cy[f] - jy
        x0, x1 = max(0, int(fx - 1.5 * r)), min(width, int(fx + 1.5 * r) + 1)
        y0, y1 = max(0, int(fy - 1.5 * r)), min(height, int(fy + 1.5 * r) + 1)
        if x0 >= x1 or y0 >= y1:
            continue
        X, Y = np.meshgrid(np.arange(x0, x1, dtype=np.float32) - fx, np.arange(y0, y1, dtype=np.float32) - fy)
        c, s = math.cos(angle[f]), math.sin(angle[f])
        u, v = (X * c + Y * s) / r, (-X * s + Y * c) / r
        mask = _inside(kind, u, v)
        stripe = (np.sin(math.pi * stripes * u) > 0)[..., None]
        box = out[f, y0:y1, x0:x1]
        box[...] = np.where(mask[..., None], np.where(stripe, colours[0], colours[1]).astype(np.uint8), box)
    return out


def held_out_groups(split: int, groups: int) -> range:
    """Groups held out for testing in split 1, 2 or 3: UCF101's 7 of 25 groups per split, scaled to ``groups``.

    With 25 groups: 1-7, 8-14, 15-21, as UCF101's testlist01-03.
    """
    lo = round((split - 1) * groups * 7 / 25) + 1
    hi = max(lo, round(split * groups * 7 / 25))
    return range(lo, hi + 1)


def write_dataset(out_dir, classes: int, per_class: int, seed: int, width: int = 320, height: int = 240,
                  length: int = 64, progress=None) -> None:
    """Write ``classes`` x ``per_class`` clips as ``.avi`` in the UCF101 layout under ``out_dir``.

    ``UCF-101/<Class>/v_<Class>_gGG_cCC.avi`` (clip i of a class is in group ``i % G + 1`` with
    G = min(25, per_class)), ``ucfTrainTestlist/classInd.txt`` and ``trainlist0N.txt`` /
    ``testlist0N.txt`` for splits 1-3 (CRLF, 1-based labels in the training lists, as UCF101).
    Clip (c, i) depends only on (seed, c, i): more classes or clips leave the others unchanged.
    """
    from pathlib import Path

    from ddif_video.encode import write_video

    out = Path(out_dir)
    names = MOTIONS[:classes]
    groups = min(25, per_class)
    lists = out / "ucfTrainTestlist"
    lists.mkdir(parents=True, exist_ok=True)
    entries: list[tuple[str, int, int]] = []  # (relative path, label, group)
    total, done = classes * per_class, 0
    for label, name in enumerate(names):
        folder = out / "UCF-101" / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            group, clip = i % groups + 1, i // groups + 1
            rng = np.random.default_rng([seed, label, i])
            lo = max(8, length - length // 4)
            frames = render_clip(label, rng, width, height, int(rng.integers(lo, length + length // 4 + 1)))
            rel = f"{name}/v_{name}_g{group:02d}_c{clip:02d}.avi"
            write_video(out / "UCF-101" / rel, frames)
            entries.append((rel, label, group))
            done += 1
            if progress is not None:
                progress(done, total)
    crlf = "\r\n"
    (lists / "classInd.txt").write_bytes("".join(f"{i + 1} {n}{crlf}" for i, n in enumerate(names)).encode())
    for split in (1, 2, 3):
        held = held_out_groups(split, groups)
        train = "".join(f"{rel} {lab + 1}{crlf}" for rel, lab, g in entries if g not in held)
        test = "".join(f"{rel}{crlf}" for rel, _, g in entries if g in held)
        (lists / f"trainlist{split:02d}.txt").write_bytes(train.encode())
        (lists / f"testlist{split:02d}.txt").write_bytes(test.encode())
