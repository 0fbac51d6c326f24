"""Images from an ImageNet-style folder tree, resized, decoded once and cached on disk.

Layout (ImageNet, ImageNette, and any ``torchvision.datasets.ImageFolder``)::

    ROOT/train/<class>/*.JPEG      training split
    ROOT/val/<class>/*.JPEG        test split (``ROOT/test/<class>/`` is accepted too)

``<class>`` is a WordNet id for the ImageNet subsets. Every image is decoded with Pillow, its
shorter side resized to the target side (bilinear, antialiased) and centre-cropped to a square,
as the distillation literature does for ImageNet subsets. Decoding a few thousand JPEGs takes
minutes, so the result is cached as ``uint8`` arrays in the core disk cache
(``<cache>/images/<dataset>-<split>-<size>px-<key>/``, see :func:`ddif_core.cached_arrays`) whose key
is a hash of the file list (paths, sizes, modification times) and of the options: editing, adding
or removing a file, or asking for another resolution, makes a new cache entry.
"""

from __future__ import annotations

import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ddif_core import DataError, cached_arrays, source_key

IMAGE_EXTENSIONS = (".jpeg", ".jpg", ".png", ".bmp", ".ppm", ".webp", ".tif", ".tiff")
SPLIT_FOLDERS = {"train": ("train",), "test": ("val", "test")}
CACHE_VERSION = 2  # 2: core disk cache (memory-mapped .npy arrays)


def split_dir(root: Path, split: str) -> Path:
    """The folder of ``split`` under ``root`` (``train``; ``val`` or ``test``)."""
    for name in SPLIT_FOLDERS[split]:
        if (root / name).is_dir():
            return root / name
    expected = " or ".join(f"{root / n}/<class>/" for n in SPLIT_FOLDERS[split])
    raise DataError(f"{root} has no {split} split; expected image folders {expected}")


def discover_classes(root: Path) -> tuple[str, ...]:
    """Sorted names of the class sub-folders of ``root/train`` (a user's ImageFolder)."""
    train = split_dir(root, "train")
    classes = tuple(sorted(p.name for p in train.iterdir() if p.is_dir() and not p.name.startswith(".")))
    if len(classes) < 2:
        raise DataError(f"{train} holds {len(classes)} class folder(s); expected one sub-folder per class (at least 2)")
    return classes


@dataclass(frozen=True)
class Listing:
    """The image files of one split: ``paths[i]`` has label ``labels[i]``."""

    root: Path
    paths: tuple[Path, ...]
    labels: tuple[int, ...]

    def fingerprint(self) -> list[tuple[str, int, int]]:
        out = []
        for p in self.paths:
            st = p.stat()
            out.append((str(p.relative_to(self.root)), st.st_size, st.st_mtime_ns))
        return out


def list_split(root: Path, split: str, folders: tuple[str, ...]) -> Listing:
    """Every image file of ``split`` in the class folders ``folders`` (label = position in ``folders``)."""
    base = split_dir(root, split)
    paths: list[Path] = []
    labels: list[int] = []
    for label, name in enumerate(folders):
        folder = base / name
        if not folder.is_dir():
            raise DataError(f"{base} has no class folder {name}/; expected one folder per class: {', '.join(folders)}")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
        if not files:
            exts = ", ".join(IMAGE_EXTENSIONS)
            raise DataError(f"class folder {folder} holds no image files (expected {exts})")
        paths += files
        labels += [label] * len(files)
    return Listing(base, tuple(paths), tuple(labels))


WIDE_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
"""Pillow modes of single-channel images deeper than 8 bits (16-bit PNG/TIFF, 32-bit integer or float)."""


def to_8bit(img: "Image.Image") -> "Image.Image":
    """A deep grey image (``WIDE_MODES``) scaled to 8 bits at full depth (Pillow's ``convert`` would clip at 255).

    16-bit images (and 32-bit integer images holding values above 255) are divided by 257, so 65535
    becomes 255; float images in [0, 1] are multiplied by 255, other float images are taken as 0..255.
    """
    from PIL import Image

    arr = np.asarray(img, dtype=np.float64)
    if img.mode.startswith("I;16") or (img.mode == "I" and (img.format == "PNG" or arr.max(initial=0) > 255)):
        arr = arr / 257.0
    elif img.mode == "F" and arr.max(initial=0) <= 1.0:
        arr = arr * 255.0
    return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), mode="L")


def read_image(path: Path, size: int) -> np.ndarray:
    """One image file -> (3, size, size) uint8: shorter side resized to ``size``, centre crop.

    16-bit and other deep grey images are read at full depth and scaled to 0..255 (:func:`to_8bit`).

    Raises ``OSError``/``ValueError`` (from Pillow) for unreadable or truncated files.
    """
    from PIL import Image

    with Image.open(path) as img:
        if img.format == "JPEG":
            img.draft("RGB", (size, size))  # decode at a reduced scale that still covers the target
        if img.mode in WIDE_MODES:
            img = to_8bit(img)
        img = img.convert("RGB")
        w, h = img.size
        short = min(w, h)
        nw, nh = (size, max(size, int(size * h / w))) if w == short else (max(size, int(size * w / h)), size)
        img = img.resize((nw, nh), Image.Resampling.BILINEAR)
        left, top = (nw - size) // 2, (nh - size) // 2
        img = img.crop((left, top, left + size, top + size))
        arr = np.asarray(img, dtype=np.uint8)
    return arr.transpose(2, 0, 1)


def _cache_key(listing: Listing, split: str, size: int, skip_bad: bool, tag: str) -> str:
    """``<tag>-<split>-<size>px-<hash of the files and options>``, a plain folder name."""
    options = {"v": CACHE_VERSION, "split": split, "size": size, "skip_bad": skip_bad, "labels": listing.labels}
    return f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', tag)}-{split}-{size}px-{source_key(listing.paths, options)}"


def load_folder_split(root: Path, split: str, folders: tuple[str, ...], size: int, *, cache_dir: Path | None,
                      skip_bad_files: bool = False, workers: int | None = None, tag: str = "folder",
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Read ``split`` of an image folder tree: images (N, 3, size, size) uint8 and labels (N,) int64.

    :param folders: the class folder names in label order.
    :param cache_dir: where decoded splits are cached (None: no cache).
    :param skip_bad_files: skip (and count) unreadable files instead of failing on the first one.
    """
    listing = list_split(root, split, folders)
    if cache_dir is None:
        return _decode_split(listing, split, folders, size, skip_bad_files, workers)

    def build(writer) -> None:  # noqa: ANN001  (ddif_core.cache.CacheWriter)
        images, labels = _decode_split(listing, split, folders, size, skip_bad_files, workers)
        writer.array("images", images.shape, np.uint8)[:] = images
        writer.array("labels", labels.shape, np.int64)[:] = labels

    arrays = cached_arrays("images", _cache_key(listing, split, size, skip_bad_files, tag), build, cache_dir)
    images, labels = arrays["images"], arrays["labels"]
    if images.dtype != np.uint8 or images.shape[1:] != (3, size, size) or labels.shape != images.shape[:1]:
        raise DataError(f"the image cache under {cache_dir} holds arrays of another layout; delete that folder")
    return np.array(images), np.array(labels)  # the split is held in memory (as LabelledData) anyway


def _decode_split(listing: Listing, split: str, folders: tuple[str, ...], size: int, skip_bad_files: bool,
                  workers: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Decode every file of ``listing`` in parallel: images (N, 3, size, size) uint8, labels (N,) int64."""

    def work(path: Path) -> np.ndarray | None:
        try:
            return read_image(path, size)
        except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, DecompressionBombError...
            if skip_bad_files:
                return None
            raise DataError(
                f"cannot read image {path}: {exc}; fix or remove it, or set modality.skip_bad_files=true to skip "
                f"unreadable files"
            ) from None

    images = np.empty((len(listing.paths), 3, size, size), dtype=np.uint8)
    ok = np.ones(len(listing.paths), dtype=bool)
    workers = workers or min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:  # Pillow decodes without holding the GIL
        results = pool.map(work, listing.paths)
        bar = tqdm(results, total=len(listing.paths), desc=f"decoding {split} images", unit="img",
                   disable=None, leave=False, file=sys.stderr)
        for i, arr in enumerate(bar):
            if arr is None:
                ok[i] = False
            else:
                images[i] = arr
    labels = np.asarray(listing.labels, dtype=np.int64)
    skipped = int((~ok).sum())
    if skipped:
        first = listing.paths[int(np.flatnonzero(~ok)[0])]
        print(f"warning: skipped {skipped} unreadable image file(s) in {listing.root} (first: {first})",
              file=sys.stderr)
        images, labels = images[ok], labels[ok]
        present = set(labels.tolist())
        empty = [folders[c] for c in range(len(folders)) if c not in present]
        if empty:
            raise DataError(f"every image of class folder(s) {', '.join(empty)} in {listing.root} is unreadable")
    return images, labels
