"""Reader and writer of the IDX format of MNIST and Fashion-MNIST.

Layout: two zero bytes, a type-code byte, a byte ``ndim``, then ``ndim`` big-endian uint32 sizes,
then the data in C order (multi-byte types big-endian). Type codes:

=====  ==========  ============
code   type        numpy dtype
=====  ==========  ============
0x08   ubyte       ``uint8``
0x09   sbyte       ``int8``
0x0B   short       ``>i2``
0x0C   int         ``>i4``
0x0D   float       ``>f4``
0x0E   double      ``>f8``
=====  ==========  ============

Files may be gzip-compressed; compression is detected from the gzip magic bytes (``1f 8b``), not
from the file name. No pickle is involved anywhere.
"""

from __future__ import annotations

import gzip as _gzip
import os
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = ["IDXError", "IDX_TYPES", "MAX_BYTES", "read_idx", "read_idx_labels", "write_idx"]

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
"""IDX type code -> on-disk (big-endian) numpy dtype."""

_CODE_OF_KIND: dict[tuple[str, int], int] = {(dt.kind, dt.itemsize): code for code, dt in IDX_TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 16 * 2**20


class IDXError(ValueError):
    """A missing, unreadable or malformed IDX file; the message is one sentence naming the file."""


MAX_DIMS = 32
"""Most dimensions an IDX file may declare here (numpy's arrays hold at most 32 or 64)."""
MAX_BYTES = 16 * 2**30
"""Most data bytes an IDX file may declare (16 GiB); a gzip stream is never expanded past its declared size."""


def _check_header(path: Path, head: bytes) -> tuple[np.dtype, int]:
    """The dtype and number of dimensions of a 4-byte IDX header."""
    if len(head) < 4:
        raise IDXError(f"IDX file {path} has only {len(head)} bytes, expected at least the 4-byte IDX header")
    if head[0] != 0 or head[1] != 0:
        raise IDXError(
            f"IDX file {path} does not start with the IDX magic (two zero bytes), found bytes "
            f"{head[0]:02x} {head[1]:02x}; it is not an IDX file"
        )
    code, ndim = head[2], head[3]
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise IDXError(f"IDX file {path} has unknown type code 0x{code:02X}, expected one of {known}")
    if ndim > MAX_DIMS:
        raise IDXError(f"IDX file {path} declares {ndim} dimensions; at most {MAX_DIMS} are supported")
    return IDX_TYPES[code], ndim


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (plain or gzip-compressed) into a native-endian, writable array.

    Only as many bytes as the header declares are read or decompressed (at most :data:`MAX_BYTES`),
    so a small gzip file cannot expand into a huge one in memory.

    Args:
        path: the file to read.

    Returns:
        Array of shape ``dims`` from the header (e.g. ``(N, 28, 28)`` uint8 images or ``(N,)``
        uint8 labels), in native byte order.

    Raises:
        IDXError: the file is missing or unreadable, is corrupt gzip, has no IDX magic, an unknown
            type code, too many dimensions, more data than :data:`MAX_BYTES`, fewer data bytes than
            its header declares, or bytes after the data.
    """
    path = Path(path)
    try:
        with open(path, "rb") as raw:
            compressed = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            if compressed:
                with _gzip.GzipFile(fileobj=raw) as f:
                    return _read_stream(path, f, None)
            return _read_stream(path, raw, os.fstat(raw.fileno()).st_size)
    except (EOFError, zlib.error, _gzip.BadGzipFile) as exc:
        raise IDXError(f"IDX file {path} starts like gzip but is not a valid gzip stream ({exc})") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise IDXError(f"cannot read IDX file {path}: {reason}") from None


def _read_exactly(f: BinaryIO, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = f.read(n - len(out))
        if not chunk:
            break
        out += chunk
    return bytes(out)


def _read_stream(path: Path, f: BinaryIO, file_size: int | None) -> np.ndarray:
    """Parse the header from ``f``, then read exactly the declared data (plus one byte to detect extra)."""
    dtype, ndim = _check_header(path, _read_exactly(f, 4))
    header = 4 + 4 * ndim
    sizes = _read_exactly(f, 4 * ndim)
    if len(sizes) < 4 * ndim:
        raise IDXError(
            f"IDX file {path} is truncated in its header: {ndim} dimensions need {header} header bytes, "
            f"found {4 + len(sizes)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(sizes, dtype=">u4", count=ndim))
    count = 1
    for d in dims:
        count *= d
    expected = count * dtype.itemsize
    if file_size is not None and file_size - header < expected:
        raise IDXError(
            f"IDX file {path} is truncated: its header declares {dtype.name} data of shape {dims}, "
            f"expected {expected} data bytes but found {file_size - header}"
        )
    if expected > MAX_BYTES:
        raise IDXError(
            f"IDX file {path} declares {dtype.name} data of shape {dims}, {expected} bytes, more than the "
            f"{MAX_BYTES // 2**30} GiB this reader accepts"
        )
    data = bytearray()  # grown as bytes arrive: a header that lies about the size costs what the stream holds
    while len(data) < expected:
        chunk = f.read(min(_CHUNK, expected - len(data)))
        if not chunk:
            break
        data += chunk
    got = len(data)
    if got < expected:
        raise IDXError(
            f"IDX file {path} is truncated: its header declares {dtype.name} data of shape {dims}, "
            f"expected {expected} data bytes but found {got}"
        )
    extra = len(f.read(1)) if file_size is None else file_size - header - expected
    if extra:
        more = "at least 1 trailing byte" if file_size is None else f"{extra} trailing bytes"
        raise IDXError(
            f"IDX file {path} has {more} after the data: its header declares {dtype.name} data of shape "
            f"{dims}, {expected} data bytes"
        )
    return np.frombuffer(data, dtype=dtype).astype(dtype.newbyteorder("="), copy=False).reshape(dims)


def read_idx_labels(path: Path, num_classes: int, count: int | None = None) -> np.ndarray:
    """Read an IDX label file: integers (type 0x08, 0x09, 0x0B or 0x0C) of shape (N,), each in [0, num_classes).

    :param count: the number of labels expected (the number of images), if known.
    :returns: (N,) int64 labels.
    :raises IDXError: naming what is wrong (float type, shape, a label out of range).
    """
    labels = read_idx(path)
    if labels.dtype.kind not in "iu":
        code = next(c for c, dt in IDX_TYPES.items() if dt.kind == labels.dtype.kind and dt.itemsize == labels.dtype.itemsize)
        raise IDXError(
            f"IDX label file {path} holds {labels.dtype.name} values (type code 0x{code:02X}); labels must be "
            f"integers (type code 0x08 ubyte)"
        )
    if labels.ndim != 1 or (count is not None and labels.shape[0] != count):
        want = f"({count},)" if count is not None else "(N,)"
        raise IDXError(f"IDX label file {path} holds {labels.shape} labels, expected {want} to match the images")
    if labels.size:
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= num_classes:
            raise IDXError(
                f"IDX label file {path} has labels from {low} to {high}, expected 0..{num_classes - 1} "
                f"({num_classes} classes)"
            )
    return labels.astype(np.int64)


def write_idx(path: Path, array: np.ndarray, gzip: bool = False) -> None:
    """Write ``array`` as an IDX file, optionally gzip-compressed.

    Args:
        path: destination file (overwritten).
        array: array of any shape with at most 255 dimensions, each below 2**32, of dtype uint8,
            int8, int16, int32, float32 or float64 (any byte order).
        gzip: compress with gzip (with a fixed timestamp, so the output is reproducible).

    Raises:
        ValueError: the dtype has no IDX type code, or the shape does not fit the header.
    """
    arr = np.asarray(array)
    key = (arr.dtype.kind, arr.dtype.itemsize)
    if key not in _CODE_OF_KIND:
        raise ValueError(
            f"cannot write dtype {arr.dtype} to IDX file {path}; supported: uint8, int8, int16, int32, float32, float64"
        )
    if arr.ndim > 255:
        raise ValueError(f"cannot write a {arr.ndim}-dimensional array to IDX file {path}; at most 255 dimensions")
    if any(d >= 2**32 for d in arr.shape):
        raise ValueError(f"cannot write shape {arr.shape} to IDX file {path}; each size must be below 2**32")
    code = _CODE_OF_KIND[key]
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(arr, dtype=IDX_TYPES[code]).tobytes()
    if gzip:
        payload = _gzip.compress(payload, mtime=0)
    Path(path).write_bytes(payload)
