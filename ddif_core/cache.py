"""The disk cache: decoded datasets as memory-mapped ``.npy`` arrays, and generated datasets.

Layout under :func:`default_cache_dir` (or a folder the caller names)::

    <cache>/<kind>/<key>/<name>.npy      arrays of one entry (cached_arrays), e.g. images/<key>/x.npy
    <cache>/data/<generator>-<hash>/      a generated dataset in its modality's on-disk layout

An entry appears all at once: it is built in a temporary folder that is renamed into place only
when the build returns, so an interrupted or failing build leaves nothing, and two processes
building the same entry never see half of it. Arrays are read back with
``np.load(mmap_mode="r", allow_pickle=False)``: read-only memory maps, so a dataset larger than
memory is paged in only where it is read (see :class:`ddif_core.data.ArrayDataset`).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ddif_core.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def default_cache_dir() -> Path:
    """``$DDIF_CACHE_DIR``, else ``$XDG_CACHE_HOME/ddif``, else ``~/.cache/ddif``."""
    if os.environ.get("DDIF_CACHE_DIR"):
        return Path(os.environ["DDIF_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ddif"


def source_key(files: Iterable[Path], options: dict[str, Any]) -> str:
    """A hash of the files (paths, sizes, modification times) and of ``options`` (as JSON).

    Editing, adding or removing a file, or changing an option, gives another key.
    """
    h = hashlib.sha256()
    for f in files:
        st = Path(f).stat()
        h.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    h.update(json.dumps(options, sort_keys=True, separators=(",", ":"), default=str).encode())
    return h.hexdigest()[:24]


class CacheWriter:
    """Hands out the arrays of one entry being built (in a temporary folder)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """A writable array ``<name>.npy`` of ``shape`` and ``dtype`` (a memory map unless it is empty)."""
        if not _NAME.match(name) or name in self._arrays:
            raise ValueError(f"cache array name {name!r} is not a plain file name or is used twice")
        shape = tuple(int(s) for s in shape)
        path = self.folder / f"{name}.npy"
        if int(np.prod(shape)) == 0:  # an empty file cannot be memory-mapped
            arr = np.zeros(shape, dtype=dtype)
            np.save(path, arr, allow_pickle=False)
        else:
            arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.dtype(dtype), shape=shape)
        self._arrays[name] = arr
        return arr

    def close(self) -> None:
        for arr in self._arrays.values():
            if isinstance(arr, np.memmap):
                arr.flush()
        self._arrays.clear()


def _read_entry(folder: Path) -> dict[str, np.ndarray]:
    """Every ``*.npy`` of an entry as a read-only memory map (empty arrays are read plainly)."""
    out: dict[str, np.ndarray] = {}
    for path in sorted(folder.glob("*.npy")):
        try:
            out[path.stem] = np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError:
            out[path.stem] = np.load(path, allow_pickle=False)  # zero-size arrays have nothing to map
    return out


def cached_arrays(kind: str, key: str, build: Callable[[CacheWriter], None], cache_dir: Path | None = None,
                  enabled: bool = True) -> dict[str, np.ndarray]:
    """The arrays of cache entry ``<cache>/<kind>/<key>/``, built by ``build(writer)`` on a miss.

    :param kind: a folder per kind of data (``images``, ``spectrograms``, ...).
    :param key: e.g. :func:`source_key` of the source files and preprocessing options.
    :param build: fills the arrays it asks ``writer.array(name, shape, dtype)`` for; raising leaves nothing.
    :param cache_dir: the cache root (default :func:`default_cache_dir`).
    :param enabled: False builds into a temporary folder removed once the arrays are not needed
        (nothing is reused). A cache location that cannot be written is treated the same way, with a
        warning.
    :returns: ``{name: read-only array}``.
    """
    for part in (kind, key):
        if not _NAME.match(part):
            raise ValueError(f"cache kind/key {part!r} must be a plain file name")
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    final = root / kind / key
    if enabled and final.is_dir():
        try:
            return _read_entry(final)
        except (OSError, ValueError, EOFError):  # a damaged entry is rebuilt
            shutil.rmtree(final, ignore_errors=True)
    parent = final.parent if enabled else root / "tmp"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=parent))
    except OSError as exc:
        if enabled:
            print(f"warning: cannot write the cache {final} ({exc}); building without it", file=sys.stderr)
        tmp = Path(tempfile.mkdtemp(prefix=f"ddif-{kind}-"))
        enabled = False
    writer = CacheWriter(tmp)
    try:
        build(writer)
        writer.close()
    except BaseException:
        writer.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not enabled:
        arrays = _read_entry(tmp)
        _remove_later(tmp)
        return arrays
    try:
        os.replace(tmp, final)
    except OSError:  # another process finished the same entry first: use theirs
        shutil.rmtree(tmp, ignore_errors=True)
    return _read_entry(final)


def _remove_later(folder: Path) -> None:
    """Remove a folder whose files are memory-mapped: at once where the OS allows (the maps keep the
    data until they are dropped), else when the process exits."""
    try:
        shutil.rmtree(folder)
    except OSError:
        atexit.register(shutil.rmtree, folder, True)


def generate_into_cache(generator_cls: type, options: Any = None, cache_dir: Path | None = None,
                        progress: Callable[[int, int], None] | None = None) -> Path:
    """Run a data generator once into ``<cache>/data/<name>-<hash of options and version>/``; return that folder.

    :param generator_cls: a :class:`ddif_core.DataGenerator` subclass (``name``, ``Options``, ``make``).
    :param options: an instance of its ``Options``, a dict of option values, or None for the defaults.
    Later calls with the same options return the existing folder; the folder appears only complete.
    """
    opts_cls = getattr(generator_cls, "Options", None)
    if options is None or isinstance(options, dict):
        if opts_cls is None:
            raise ConfigError(f"data generator {getattr(generator_cls, 'name', generator_cls)!r} has no Options")
        options = opts_cls.model_validate(options or {})
    name = str(generator_cls.name)
    blob = json.dumps({"generator": name, "options": options.model_dump(mode="json"),
                       "version": int(getattr(generator_cls, "version", 1))}, sort_keys=True)
    folder = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / "data"
    final = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"
    if final.is_dir():
        return final
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=folder))
    try:
        generator_cls().make(tmp, options, progress)
        os.replace(tmp, final)
    except OSError:
        if not final.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(tmp, ignore_errors=True)  # another process made it first
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
