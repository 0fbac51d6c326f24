"""User-facing errors.

Every problem a user can fix (a missing file, a bad option, an unknown plugin) is raised as a
:class:`DdifError` whose message is one sentence naming the file or option and what was expected.
The CLI prints that sentence and exits non-zero; the traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import errno
import re


class DdifError(Exception):
    """An error the user can act on; ``str(err)`` is the whole message."""


class DataError(DdifError):
    """A dataset root, file or record that is missing, unreadable or malformed."""


class ConfigError(DdifError):
    """An option, preset, TOML file or ``--set`` entry that is unknown or invalid."""


class PluginError(DdifError):
    """A modality, matcher, network or parameterization that is unknown, broken or registered twice."""


class TrainingError(DdifError):
    """A run that cannot continue, such as a loss that became NaN or infinite."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during ``ddif run``; ``str()`` says where the last checkpoint is and how to ``--resume``."""


_OS_REASONS = {
    errno.EACCES: "permission denied", errno.EPERM: "permission denied", errno.EROFS: "read-only file system",
    errno.ENOTDIR: "a part of the path is a file, not a folder", errno.EISDIR: "it is a folder",
    errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
    errno.ENAMETOOLONG: "the name is too long", errno.ENOENT: "no such file or folder",
    errno.EEXIST: "it already exists",
}


def os_reason(exc: OSError) -> str:
    """A short, lower-case reason for an ``OSError`` (e.g. "permission denied")."""
    return _OS_REASONS.get(exc.errno or 0, exc.strerror or type(exc).__name__)


def system_error_message(exc: BaseException) -> str:
    """One sentence for an error of the machine rather than of ddif (full disk, permissions, memory)."""
    if isinstance(exc, MemoryError):
        return "out of memory; lower the sizes of the run (ipc, resolution, batch sizes) or free memory"
    assert isinstance(exc, OSError)
    name = f" {exc.filename}" if exc.filename else ""
    return f"cannot access{name}: {os_reason(exc)}"


def out_of_memory_message(exc: BaseException) -> str | None:
    """The sentence for torch's out-of-memory errors (CPU allocator or device), else None."""
    text = str(exc)
    if "can't allocate memory" in text or "out of memory" in text.lower():
        need = re.search(r"allocate ([0-9]+) bytes", text)
        size = f" ({int(need.group(1)) / 2**30:.1f} GiB more were asked for)" if need else ""
        return f"out of memory{size}; lower the sizes of the run (ipc, resolution, batch sizes) or free memory"
    return None
