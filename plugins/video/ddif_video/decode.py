"""Clips from ``.avi`` files (PyAV) and frame folders (Pillow) as uint8 frames of the distillation literature.

Every frame is resized to 160x120 and centre-cropped to 112x112 (Wang et al. 2024; at another
``size`` S the same geometry scaled by S/112). One window of ``frames`` frames ``step`` apart is taken
per clip: the centre window for the test split, a seeded one for the training split. A clip shorter
than the window uses a smaller step (``L // frames``); one shorter than ``frames`` loops.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ddif_core import DataError
from ddif_video.ucf101 import frame_files

#: The frame size frames are resized to before the centre crop, at a crop of 112.
RESIZE_WH = (160, 120)
CROP = 112


def window(length: int, frames: int, step: int, start: int | None) -> np.ndarray:
    """Frame indices of one window: ``frames`` indices ``step`` apart starting at ``start``.

    :param length: frames in the clip (>= 1).
    :param start: first index, or None for the centre window; clipped to what fits.
    :returns: (frames,) int64 indices in [0, length).
    """
    if length >= frames * step:
        s = step
    else:
        s = max(1, length // frames)
    span = (frames - 1) * s + 1
    last = max(0, length - span)
    first = last // 2 if start is None else min(max(0, start), last)
    return (first + s * np.arange(frames)) % length  # loops when length < frames


def train_start(key: str, length: int, frames: int, step: int, seed: int = 0) -> int:
    """A deterministic random start of the training window of the clip named ``key``."""
    s = step if length >= frames * step else max(1, length // frames)
    last = max(0, length - ((frames - 1) * s + 1))
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "little") % (last + 1)


def crop_box(size: int) -> tuple[int, int, int, int, int, int]:
    """(resize_w, resize_h, left, top, size, size) of the 160x120 -> 112 pipeline scaled to ``size``."""
    w = max(size, round(RESIZE_WH[0] * size / CROP))
    h = max(size, round(RESIZE_WH[1] * size / CROP))
    return w, h, (w - size) // 2, (h - size) // 2, size, size


def read_avi(path: Path) -> list:
    """Every decoded video frame of ``path`` (``av.VideoFrame`` objects, not yet converted)."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise DataError(f"{path} has no video stream; expected a UCF101 .avi clip")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            frames = list(container.decode(video=0))
    except DataError:
        raise
    except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise DataError(f"{path} is not a decodable video ({reason}); expected a UCF101 .avi clip") from None
    if not frames:
        raise DataError(f"{path} holds no video frames; expected a UCF101 .avi clip")
    return frames


def _rgb(frame, size: int) -> np.ndarray:
    """One ``av.VideoFrame`` -> (size, size, 3) uint8, resized then centre-cropped."""
    w, h, left, top, cw, ch = crop_box(size)
    arr = frame.reformat(width=w, height=h, format="rgb24", interpolation="AREA").to_ndarray()
    return arr[top:top + ch, left:left + cw]


def _rgb_image(path: Path, size: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    w, h, left, top, cw, ch = crop_box(size)
    try:
        with Image.open(path) as img:
            img = img.convert("RGB").resize((w, h), Image.Resampling.BOX if img.width >= w else Image.Resampling.BILINEAR)
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"{path} is not a readable image ({exc}); expected a JPEG frame of a clip") from None
    return np.asarray(img)[top:top + ch, left:left + cw]


def read_clip(source: Path, frames: int, step: int, size: int, start: str | None = None, seed: int = 0) -> np.ndarray:
    """One window of a clip, ``(frames, size, size, 3)`` uint8 in time order.

    :param source: an ``.avi`` file or a folder of frame images.
    :param start: None for the centre window (test split), else the key whose hash seeds the start
        (training split; the clip's path, so the window is the same on every machine).
    """
    if source.is_dir():
        files = frame_files(source)
        if not files:
            raise DataError(f"{source} holds no frame images; expected frame000001.jpg ... in a clip's frame folder")
        first = None if start is None else train_start(start, len(files), frames, step, seed)
        return np.stack([_rgb_image(files[i], size) for i in window(len(files), frames, step, first)])
    decoded = read_avi(source)
    first = None if start is None else train_start(start, len(decoded), frames, step, seed)
    return np.stack([_rgb(decoded[i], size) for i in window(len(decoded), frames, step, first)])
