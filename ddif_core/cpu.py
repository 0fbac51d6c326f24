"""CPU-side process settings that make the many mid-sized temporaries of training cheap.

glibc serves allocations above its mmap threshold (128 KiB at start) with fresh pages from the
kernel and returns them on free, so a training step that creates megabyte-sized tensors pays
page faults on every step until glibc's adaptive threshold catches up. Raising the thresholds
keeps freed blocks in the heap for reuse. Only the calling process is affected.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_done = False


def tune_allocator(mmap_threshold: int = 1 << 30, trim_threshold: int = 1 << 31) -> bool:
    """Raise glibc's mmap and trim thresholds once per process; True when applied (glibc Linux)."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok = bool(mallopt(_M_MMAP_THRESHOLD, min(mmap_threshold, 2**31 - 1))) and bool(
        mallopt(_M_TRIM_THRESHOLD, min(trim_threshold, 2**31 - 1))
    )
    _done = ok
    return ok
