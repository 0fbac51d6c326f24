"""Writing clips with PyAV: ``.avi`` (MPEG-4 Part 2), ``.mp4`` (H.264, else MPEG-4) and animated ``.gif``.

Every file is written under a temporary name beside its target and renamed when complete, so an
interrupted write leaves nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

FPS = 25


def _codec(preferred: tuple[str, ...]) -> str:
    import av

    for name in preferred:
        if name in av.codecs_available:
            try:
                av.codec.Codec(name, "w")
            except Exception:  # listed but without an encoder in this build
                continue
            return name
    raise RuntimeError(f"this PyAV build has none of the encoders {', '.join(preferred)}")


def write_video(path: Path, frames: np.ndarray, fps: int = FPS, bit_rate: int = 1_500_000) -> Path:
    """Write ``frames`` (T, H, W, 3) uint8 as ``path`` (.avi: mpeg4; .mp4: libx264, else mpeg4).

    H and W must be even (4:2:0 chroma); odd sizes are padded by one edge row/column.
    """
    import av

    frames = np.asarray(frames, dtype=np.uint8)
    pad_h, pad_w = frames.shape[1] % 2, frames.shape[2] % 2
    if pad_h or pad_w:
        frames = np.pad(frames, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    suffix = path.suffix.lower()
    codec = _codec(("libx264", "mpeg4")) if suffix == ".mp4" else "mpeg4"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp{suffix}")
    try:
        with av.open(str(tmp), "w", format="mp4" if suffix == ".mp4" else "avi") as out:
            stream = out.add_stream(codec, rate=fps)
            stream.width, stream.height = frames.shape[2], frames.shape[1]
            stream.pix_fmt = "yuv420p"
            stream.thread_count = 1  # the same bytes for the same frames
            if codec == "libx264":
                stream.options = {"crf": "18", "preset": "veryfast"}
            else:
                stream.bit_rate = bit_rate
            for arr in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_gif(path: Path, frames: np.ndarray, fps: int = FPS) -> Path:
    """An animated GIF of ``frames`` (T, H, W, 3) uint8 that loops forever."""
    from PIL import Image

    images = [Image.fromarray(np.asarray(f, dtype=np.uint8)) for f in frames]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps),
                       loop=0, optimize=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_png(path: Path, image: np.ndarray) -> Path:
    """A PNG of ``image`` (H, W, 3) uint8."""
    from PIL import Image

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        Image.fromarray(np.asarray(image, dtype=np.uint8)).save(tmp, format="PNG")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
