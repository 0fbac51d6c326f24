"""Run directories, the synthetic-set artifact and checkpoints; every write is atomic.

A run directory holds::

    config.json              the fully resolved configuration and plugin versions
    synthetic.safetensors    stored parameters + labels; JSON metadata in the header
    metrics.json             accuracy_mean, accuracy_std, runs, num_decoded, budget_used, budget_allowed, ...
    preview.png              decoded instances per class (modalities that can draw)
    checkpoints/last.safetensors   parameters + optimiser state + iteration, for --resume

Only safetensors and JSON are read back: nothing from disk is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ddif_core.errors import DataError
from ddif_core.outdir import make_temp_dir, umask as _umask

FORMAT = "ddif-synthetic/1"
CHECKPOINT_FORMAT = "ddif-checkpoint/2"
SYNTHETIC_FILE = "synthetic.safetensors"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"
CHECKPOINT_FILE = Path("checkpoints") / "last.safetensors"
CHECKSUM_KEY = "ddif_sha256"
"""Header key of the safetensors files ddif writes holding :func:`tensor_digest` of their tensors."""


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only if the block succeeds.

    The file gets the permissions of an ordinary new file under the process umask (``mkstemp``
    alone would leave it 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # after the block: a writer may replace the file (safetensors does)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it replaces ``path`` (and what it held) only if the block
    succeeds, so readers see the old folder or the complete new one. The folder gets the permissions of
    an ordinary ``mkdir`` under the process umask."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(path.parent, f".{path.name}.")
    try:
        yield tmp
        old = None
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
            os.replace(path, old / "x")
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _finite(data: Any) -> Any:
    """``data`` with every NaN or infinite float replaced by None (JSON has no such numbers)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as standard JSON (non-finite floats become null), atomically."""
    with atomic_path(path) as tmp:
        text = json.dumps(_finite(data), indent=2, sort_keys=False, allow_nan=False)
        tmp.write_text(text + "\n", encoding="utf-8")


def tensor_digest(tensors: dict[str, torch.Tensor], meta_json: str = "") -> str:
    """SHA-256 over the JSON metadata text and every tensor's name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256(meta_json.encode())
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu").contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> str:
    """Save tensors (made contiguous, on CPU) with ``meta`` as JSON under the header key 'ddif' and the
    :func:`tensor_digest` of both under 'ddif_sha256'; returns that digest."""
    clean = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    meta_json = json.dumps(meta)
    digest = tensor_digest(clean, meta_json)
    with atomic_path(path) as tmp:
        save_file(clean, str(tmp), metadata={"ddif": meta_json, CHECKSUM_KEY: digest})
    return digest


def read_safetensors(path: Path, what: str, expected_digest: str | None = None
                     ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Load tensors and the 'ddif' JSON metadata; one clear error when the file is not ours, broken or damaged.

    The tensors and metadata must match the checksum in the header (files written before checksums existed have
    none) and, when given, ``expected_digest`` (the one recorded in the run's config.json).
    """
    from safetensors import safe_open

    if not path.is_file():
        raise DataError(f"{what} {path} does not exist")
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
        tensors = load_file(str(path))
        meta = json.loads(header["ddif"])
    except (SafetensorError, OSError, KeyError, ValueError, json.JSONDecodeError) as exc:
        raise DataError(f"{what} {path} is not a readable ddif safetensors file ({type(exc).__name__})") from None
    if not isinstance(meta, dict):
        raise DataError(f"{what} {path} is not a ddif safetensors file (its 'ddif' metadata is not a JSON object)")
    stored = header.get(CHECKSUM_KEY)
    if expected_digest is None:
        expected_digest = _recorded_digest(path)
    if stored is not None or expected_digest is not None:
        actual = tensor_digest(tensors, header["ddif"])
        for want in (stored, expected_digest):
            if want is not None and want != actual:
                raise DataError(
                    f"{what} {path} is damaged: its tensors or metadata do not match the SHA-256 checksum recorded "
                    f"when it was written; restore it from a copy or rerun"
                )
    return tensors, meta


def _recorded_digest(path: Path) -> str | None:
    """The checksum config.json of the run holding ``path`` recorded for it (see :func:`save_synthetic`)."""
    config = path.parent / CONFIG_FILE
    if not config.is_file():
        return None
    try:
        recorded = json.loads(config.read_text(encoding="utf-8")).get("checksums", {})
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return None  # config.json is checked where it is read as a run config
    value = recorded.get(path.name) if isinstance(recorded, dict) else None
    return value if isinstance(value, str) else None


def read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{what} {path} is not readable JSON ({type(exc).__name__})") from None


def require_run_dir(path: Path) -> Path:
    """Check that ``path`` is a ddif run directory (has config.json); return it."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DataError(f"{path} is a file, not a run directory")
    if not path.is_dir():
        raise DataError(f"run directory {path} does not exist")
    if not (path / CONFIG_FILE).is_file():
        raise DataError(f"{path} is not a ddif run directory: it has no {CONFIG_FILE}")
    return path


def synthetic_meta(synthetic: Any, **info: Any) -> dict[str, Any]:
    """Metadata stored beside the parameters: enough to rebuild and decode them."""
    plan = synthetic.plan
    return {
        "format": FORMAT,
        "parameterization": synthetic.name,
        "options": synthetic.options.model_dump(mode="json"),
        "plan": {"per_class": plan.per_class, "params_per_item": plan.params_per_item, "settings": plan.settings},
        "sample_shape": list(synthetic.sample_shape),
        "num_classes": synthetic.num_classes,
        **info,
    }


def save_synthetic(path: Path, synthetic: Any, extra: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Write the artifact: ``param.<name>`` tensors, ``labels`` and extra tensors (e.g. a learned step size)."""
    tensors = {f"param.{k}": v for k, v in synthetic.named_parameters()}
    tensors["labels"] = synthetic.labels
    tensors.update(extra)
    digest = write_safetensors(path, tensors, meta)
    config = Path(path).parent / CONFIG_FILE
    if config.is_file():  # the run's config.json records the checksum too (read back by read_safetensors)
        info = read_json(config, "run config")
        if isinstance(info, dict):
            info["checksums"] = {**info.get("checksums", {}), Path(path).name: digest}
            write_json(config, info)


def save_checkpoint(run_dir: Path, iteration: int, synthetic: Any, optimizers: list[torch.optim.Optimizer],
                    extra: dict[str, torch.Tensor], info: dict[str, Any]) -> None:
    """Atomically write parameters, the state of every optimiser and progress to ``checkpoints/last.safetensors``."""
    tensors = {f"param.{k}": v for k, v in synthetic.named_parameters()}
    tensors.update({f"extra.{k}": v for k, v in extra.items()})
    groups = []
    for j, optimizer in enumerate(optimizers):
        state = optimizer.state_dict()
        for i, st in state["state"].items():
            for key, value in st.items():
                tensors[f"opt.{j}.{i}.{key}"] = value if torch.is_tensor(value) else torch.tensor(value)
        groups.append(state["param_groups"])
    meta = {"format": CHECKPOINT_FORMAT, "iteration": iteration, "optimizers": groups, **info}
    write_safetensors(run_dir / CHECKPOINT_FILE, tensors, meta)


def load_checkpoint(run_dir: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]] | None:
    """Return (tensors, meta) of the last checkpoint, or None when the run has none."""
    path = run_dir / CHECKPOINT_FILE
    if not path.exists():
        return None
    tensors, meta = read_safetensors(path, "checkpoint")
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise DataError(f"{path} has format {meta.get('format')!r}, expected {CHECKPOINT_FORMAT!r}")
    return tensors, meta


def restore_optimizers(optimizers: list[torch.optim.Optimizer], tensors: dict[str, torch.Tensor],
                       meta: dict[str, Any]) -> None:
    """Load the optimiser states :func:`save_checkpoint` wrote, in the same order."""
    states: list[dict[int, dict[str, torch.Tensor]]] = [{} for _ in optimizers]
    for key, value in tensors.items():
        if key.startswith("opt."):
            _, j, i, name = key.split(".", 3)
            states[int(j)].setdefault(int(i), {})[name] = value
    for optimizer, state, groups in zip(optimizers, states, meta["optimizers"], strict=True):
        optimizer.load_state_dict({"state": state, "param_groups": groups})
