"""Claiming a run directory: one writer at a time, clear errors, nothing left by a run that never started.

``ddif run`` holds ``<run>/.lock`` (an exclusive ``flock``, with the holder's process id written in
it) from the moment it claims the folder until it ends, so two runs or resumes on one ``--out``
cannot both write. The kernel drops the lock when its process dies, so a lock file left by a
killed run is stale and simply taken over. A fresh run whose folder holds no checkpoint yet when
it fails (a bad dataset, no memory for the warm-up, Ctrl-C) removes what it created, so the same
``--out`` can be used again.

Use :func:`session` around a run and :func:`claim` inside it::

    with rundir.session():
        run_dir = rundir.claim(out, resume=False)   # locked until the session ends
"""

from __future__ import annotations

import contextvars
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ddif_core import artifact
from ddif_core.errors import ConfigError, DataError, RunInterrupted, os_reason

LOCK_FILE = ".lock"


@dataclass
class _Claim:
    path: Path
    fd: int
    created_dir: bool  # this run made the folder (and removes it when it fails before its first checkpoint)
    fresh: bool


@dataclass
class _Session:
    claims: list[_Claim] = field(default_factory=list)


_current: contextvars.ContextVar[_Session | None] = contextvars.ContextVar("ddif_run_session", default=None)


def _describe_os_error(out: Path, exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(out) else ""
    return f"cannot create the run directory --out {out}: {os_reason(exc)}{where}; choose a folder you can write to"


def _lock(path: Path) -> int:
    """Take ``path/.lock`` exclusively (non-blocking); returns its descriptor."""
    lock = path / LOCK_FILE
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise ConfigError(_describe_os_error(path, exc)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "another process"
            finally:
                os.close(fd)
            raise ConfigError(
                f"run directory {path} is in use by process {holder} (it holds {lock}); wait for that run to end "
                f"or choose another --out"
            ) from None
        try:  # the holder may have removed the file between our open and our flock: lock the current one
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)  # a stale file from a killed run is simply overwritten
    return fd


def _release(claim: _Claim) -> None:
    try:
        (claim.path / LOCK_FILE).unlink(missing_ok=True)
    except OSError:
        pass
    os.close(claim.fd)  # closing drops the flock


def _checkpoint_of(path: Path) -> Path | None:
    ckpt = path / artifact.CHECKPOINT_FILE
    return ckpt if ckpt.is_file() else None


def claim(out: Path, resume: bool) -> Path:
    """Lock ``out`` for this run: a new (missing or empty) folder, or with ``resume`` an existing run dir.

    Must be called inside :func:`session`, which releases the lock. Raises a one-sentence
    :class:`ConfigError` for a folder that is not empty, in use, not writable, under a file or a
    dangling link.
    """
    state = _current.get()
    if state is None:
        raise RuntimeError("rundir.claim() needs an active rundir.session()")
    out = Path(out)
    if out.is_symlink() and not out.exists():
        raise ConfigError(f"--out {out} is a symbolic link to {os.readlink(out)}, which does not exist; "
                          f"create that folder or choose another --out")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file, not a folder; choose a folder for the run")
    if resume:
        artifact.require_run_dir(out)
        created = False
    else:
        created = not out.exists()
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(_describe_os_error(out, exc)) from None
    fd = _lock(out)
    entry = _Claim(out, fd, created, fresh=not resume)
    if not resume and any(p.name != LOCK_FILE for p in out.iterdir()):
        _release(entry)
        raise ConfigError(f"run directory {out} already exists; pass --resume to continue it or choose another --out")
    state.claims.append(entry)
    return out


def saved_config(run_dir: Path) -> tuple[Any, set[str]]:
    """The :class:`~ddif_core.config.RunConfig` saved in ``run_dir/config.json`` and the ``eval`` keys the user
    set (its ``eval_set``); one DataError naming the file when it holds neither."""
    from pydantic import ValidationError

    from ddif_core.config import RunConfig, describe_validation_error

    path = artifact.require_run_dir(run_dir) / artifact.CONFIG_FILE
    info = artifact.read_json(path, "run config")
    if not isinstance(info, dict) or not isinstance(info.get("config"), dict):
        raise DataError(f"{path} does not hold a ddif run config (expected a JSON object with a 'config' object)")
    eval_set = info.get("eval_set", [])
    if not isinstance(eval_set, list) or not all(isinstance(k, str) for k in eval_set):
        raise DataError(f"{path} does not hold a valid ddif run config: 'eval_set' must be a list of setting names")
    try:
        return RunConfig.model_validate(info["config"]), set(eval_set)
    except ValidationError as err:
        raise DataError(f"{path} does not hold a valid ddif run config: {describe_validation_error(err)}") from None


def interrupted_message(path: Path) -> str:
    """What Ctrl-C leaves behind in the run dir ``path`` and how to continue it."""
    ckpt = _checkpoint_of(path)
    if ckpt is None:
        return f"interrupted before the first checkpoint of {path}; nothing was kept, start the run again"
    try:
        iteration = artifact.read_safetensors(ckpt, "checkpoint")[1].get("iteration", "?")
    except DataError:
        iteration = "?"
    return (f"interrupted; the last checkpoint is {ckpt} (iteration {iteration}): continue with "
            f"ddif run --resume --out {path}")


@contextmanager
def session() -> Iterator[None]:
    """Hold the run dirs :func:`claim`-ed inside; on the way out release them, and remove a fresh one that
    got no checkpoint when the block failed. Ctrl-C becomes :class:`RunInterrupted` naming the checkpoint."""
    state = _Session()
    token = _current.set(state)
    try:
        yield
    except BaseException as exc:
        for c in state.claims:
            if c.fresh and _checkpoint_of(c.path) is None:
                _discard(c)
        if isinstance(exc, KeyboardInterrupt) and not isinstance(exc, RunInterrupted) and state.claims:
            raise RunInterrupted(interrupted_message(state.claims[-1].path)) from None
        raise
    finally:
        for c in state.claims:
            if c.fd >= 0:
                _release(c)
        _current.reset(token)


def _discard(c: _Claim) -> None:
    """Remove what a run that never reached its first checkpoint wrote (the folder too if it made it)."""
    for p in c.path.iterdir():
        if p.name == LOCK_FILE:
            continue
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() and not p.is_symlink() else p.unlink(missing_ok=True)
    _release(c)
    c.fd = -1
    if c.created_dir:
        try:
            c.path.rmdir()
        except OSError:
            pass
