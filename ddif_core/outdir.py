"""New output folders written atomically (``ddif decode --out``, ``ddif data make --out``, ``ddif plugin new``).

The content is written into a temporary folder beside the target, with the permissions a plain ``mkdir``
gets under the process umask, and renamed into place only when it is complete; a failure removes it.
This module imports no torch.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ddif_core.errors import ConfigError, os_reason


def umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_temp_dir(parent: Path, prefix: str) -> Path:
    """A new, uniquely named folder in ``parent`` with the permissions a plain ``mkdir`` would give
    (``mkdtemp`` makes 0700 folders; finished outputs are meant to be as readable as the umask allows)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(tmp, 0o777 & ~umask())
    return tmp


def require_new_dir(out_dir: Path, option: str = "--out") -> Path:
    """``out_dir`` must not exist or be an empty folder; a link to an empty folder means that folder."""
    out_dir = Path(out_dir)
    if out_dir.is_symlink():
        if not out_dir.exists():
            raise ConfigError(f"{option} {out_dir} is a symbolic link to {os.readlink(out_dir)}, which does not "
                              f"exist; create that folder or choose another {option}")
        out_dir = out_dir.resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{option} {out_dir} is a file, not a folder; choose a new folder")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ConfigError(f"{option} {out_dir} already exists and is not empty; choose a new folder")
    return out_dir


@contextmanager
def new_output_dir(out_dir: Path, option: str = "--out") -> Iterator[Path]:
    """Yield a temporary folder to fill; it becomes ``out_dir`` when the block succeeds.

    :raises ConfigError: ``out_dir`` is a file or a non-empty folder, or its parent cannot be written.
    """
    out_dir = require_new_dir(out_dir, option)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = make_temp_dir(out_dir.parent, f".{out_dir.name}.")
    except OSError as exc:
        raise ConfigError(f"cannot create {option} {out_dir}: {os_reason(exc)}; choose a folder you can write to") from None
    try:
        yield tmp
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
