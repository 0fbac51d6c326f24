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
import zlib
from pathlib import Path

import numpy as np

__all__ = ["IDXError", "IDX_TYPES", "read_idx", "write_idx"]

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


class IDXError(ValueError):
    """A missing, unreadable or malformed IDX file; the message is one sentence naming the file."""


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (plain or gzip-compressed) into a native-endian, writable array.

    Args:
        path: the file to read.

    Returns:
        Array of shape ``dims`` from the header (e.g. ``(N, 28, 28)`` uint8 images or ``(N,)``
        uint8 labels), in native byte order.

    Raises:
        IDXError: the file is missing or unreadable, is corrupt gzip, has no IDX magic, an unknown
            type code, fewer data bytes than its header declares, or bytes after the data.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise IDXError(f"cannot read IDX file {path}: {reason}") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = _gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise IDXError(f"IDX file {path} starts like gzip but is not a valid gzip stream ({exc})") from None

    if len(raw) < 4:
        raise IDXError(f"IDX file {path} has only {len(raw)} bytes, expected at least the 4-byte IDX header")
    if raw[0] != 0 or raw[1] != 0:
        raise IDXError(
            f"IDX file {path} does not start with the IDX magic (two zero bytes), found bytes "
            f"{raw[0]:02x} {raw[1]:02x}; it is not an IDX file"
        )
    code, ndim = raw[2], raw[3]
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise IDXError(f"IDX file {path} has unknown type code 0x{code:02X}, expected one of {known}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(
            f"IDX file {path} is truncated in its header: {ndim} dimensions need {header} header bytes, "
            f"found {len(raw)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[code]
    count = 1
    for d in dims:
        count *= d
    expected = count * dtype.itemsize
    found = len(raw) - header
    if found < expected:
        raise IDXError(
            f"IDX file {path} is truncated: its header declares {dtype.name} data of shape {dims}, "
            f"expected {expected} data bytes but found {found}"
        )
    if found > expected:
        raise IDXError(
            f"IDX file {path} has {found - expected} trailing bytes after the data: its header declares "
            f"{dtype.name} data of shape {dims}, expected {expected} data bytes but found {found}"
        )
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header)
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(dims)


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
