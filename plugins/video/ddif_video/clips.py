"""A split of clips decoded once into a uint8 array in the core's disk cache, read back as memory maps.

The cache entry ``<cache>/video/<key>/`` holds ``clips.npy`` (N, 3, T, S, S) uint8 channels first,
``labels.npy`` (N,) int64 and ``count.npy`` (1,) (clips actually decoded: with
``modality.skip_bad_files`` unreadable clips are left out and counted). The key hashes the source
files (paths, sizes, mtimes) and the decoding options, so editing a clip or asking for another
size makes a new entry. Decoding runs in threads (PyAV and Pillow release the GIL).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ddif_core import DataError
from ddif_video.decode import read_clip
from ddif_video.ucf101 import ClipList

CACHE_KIND = "video"
CACHE_VERSION = 1


@dataclass(frozen=True)
class DecodeSettings:
    """How every clip of a split is turned into an array: (frames, size, size) every ``step`` frames."""

    frames: int
    step: int
    size: int
    train: bool  # a seeded window per clip (training split) or the centre window (test split)
    skip_bad_files: bool = False

    def key_options(self) -> dict[str, Any]:
        return {"version": CACHE_VERSION, "frames": self.frames, "step": self.step, "size": self.size,
                "window": "seeded" if self.train else "centre"}


def clip_bytes(n: int, settings: DecodeSettings) -> int:
    """Bytes of ``n`` clips as uint8."""
    return n * 3 * settings.frames * settings.size * settings.size


def check_disk(folder: Path, n: int, settings: DecodeSettings) -> None:
    """Refuse, in one sentence, to decode a split whose uint8 clips do not fit the free disk space."""
    need = clip_bytes(n, settings)
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if need > free:
        raise DataError(
            f"the {n} clips of {settings.frames}x{settings.size}x{settings.size} need {need / 1e9:.1f} GB of uint8 "
            f"cache but {probe} has {free / 1e9:.1f} GB free; set modality.cache_dir to a larger disk or lower "
            f"modality.size / modality.frames"
        )


def _source_files(clips: ClipList) -> list[Path]:
    """The files a split is read from (a frame folder counts by its frames)."""
    from ddif_video.ucf101 import frame_files

    out: list[Path] = []
    for s in clips.sources:
        out.extend(frame_files(s) if s.is_dir() else [s])
    return out


def fill(writer: Any, clips: ClipList, settings: DecodeSettings, log: Callable[[str], None] | None = None) -> int:
    """Decode every clip into ``writer``'s arrays (``clips``, ``labels``, ``count``); returns clips kept."""
    n = len(clips.sources)
    shape = (n, 3, settings.frames, settings.size, settings.size)
    x = writer.array("clips", shape, np.uint8)
    y = writer.array("labels", (n,), np.int64)
    count = writer.array("count", (1,), np.int64)

    def one(i: int) -> np.ndarray | DataError:
        source = clips.sources[i]
        try:
            return read_clip(source, settings.frames, settings.step, settings.size,
                             start=source.as_posix() if settings.train else None)
        except DataError as exc:
            if not settings.skip_bad_files:
                raise
            return exc

    kept, skipped = 0, []
    workers = max(1, min(8, os.cpu_count() or 1))
    show = n >= 50 and sys.stderr.isatty()
    with ThreadPoolExecutor(workers) as pool:
        for i, clip in enumerate(pool.map(one, range(n))):
            if isinstance(clip, DataError):
                skipped.append(str(clips.sources[i]))
                continue
            x[kept] = clip.transpose(3, 0, 1, 2)  # (T, S, S, 3) -> (3, T, S, S)
            y[kept] = clips.labels[i]
            kept += 1
            if show and (i + 1) % 100 == 0:
                print(f"decoded {i + 1}/{n} clips", file=sys.stderr)
    count[0] = kept
    if skipped and log is not None:
        log(f"skipped {len(skipped)} unreadable clip(s) (modality.skip_bad_files), first: {skipped[0]}")
    if kept == 0:
        raise DataError(f"none of the {n} clips could be decoded (first: {skipped[0] if skipped else '-'})")
    return kept


def cached_split(clips: ClipList, settings: DecodeSettings, cache_dir: Path | None, enabled: bool,
                 log: Callable[[str], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The split's clips (N, 3, T, S, S) uint8 and labels (N,) int64 as read-only memory maps."""
    from ddif_core import cached_arrays, default_cache_dir, source_key

    folder = cache_dir or default_cache_dir()
    key = source_key(_source_files(clips), settings.key_options())

    def build(writer: Any) -> None:
        check_disk(folder, len(clips.sources), settings)  # only on a miss: a hit needs no space
        fill(writer, clips, settings, log)

    arrays = cached_arrays(CACHE_KIND, key, build, cache_dir=folder, enabled=enabled)
    kept = int(arrays["count"][0])
    return arrays["clips"][:kept], arrays["labels"][:kept]
