"""Working with saved runs: ``ddif eval`` (re-evaluate, other net or resolution) and ``ddif decode``."""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


from ddif_core import artifact
from ddif_core.config import RunConfig
from ddif_core.data import LabelledData
from ddif_core.engine import (
    Console,
    evaluate_synthetic,
    load_split,
    prepare_process,
    resolve_device,
    resolve_parts,
    with_eval_defaults,
)
from ddif_core.errors import ConfigError, DataError
from ddif_core.plugins import Registry


def load_run(run_dir: Path, registry: Registry | None = None) -> tuple[RunConfig, artifact.SyntheticSet]:
    """The saved config and synthetic set of a finished run."""
    run_dir = artifact.require_run_dir(run_dir)
    info = artifact.read_json(run_dir / artifact.CONFIG_FILE, "run config")
    try:
        config = RunConfig.model_validate(info["config"])
    except Exception:
        raise DataError(f"{run_dir / artifact.CONFIG_FILE} does not hold a valid ddif run config") from None
    if not (run_dir / artifact.SYNTHETIC_FILE).exists():
        raise DataError(
            f"{run_dir} has no {artifact.SYNTHETIC_FILE} yet (the run did not finish); continue it with "
            f"ddif run --resume --out {run_dir}"
        )
    return config, artifact.SyntheticSet.load(run_dir, registry)


def evaluate_run(
    run_dir: Path,
    net: str | None = None,
    resolution: int | None = None,
    runs: int | None = None,
    epochs: int | None = None,
    device: str | None = None,
    data_root: str | None = None,
    quiet: bool = False,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """Train fresh networks on a saved synthetic set, optionally decoded at another resolution.

    With ``resolution``, DDiF fields are decoded on the finer/coarser grid (coordinate
    interpolation), input-sized sets are resized with ``param.upsample``, and the real test set is
    resized to match.
    """
    config, synthetic = load_run(Path(run_dir), registry)
    updates: dict[str, Any] = {}
    if net is not None:
        updates["net"] = net
    if runs is not None:
        updates["runs"] = runs
    if epochs is not None:
        updates["epochs"] = epochs
    run_updates = {k: v for k, v in {"device": device, "data_root": data_root}.items() if v is not None}
    config = RunConfig.model_validate(
        {**config.to_dict(), "eval": {**config.eval.model_dump(), **updates},
         "run": {**config.run.model_dump(), **run_updates}}
    )
    if resolution is not None and resolution < 1:
        raise ConfigError(f"--resolution must be a positive number of points per axis, got {resolution}")
    parts = resolve_parts(config, registry)
    dev = resolve_device(config.run.device)
    prepare_process(dev)
    modality = parts.modality
    modality.load_state(synthetic.modality_state())
    shape = modality.shape_at(resolution) if resolution else tuple(modality.sample_shape)
    test = load_split(modality, "test", dev)
    if shape != tuple(modality.sample_shape):
        test = LabelledData(modality.resize(test.x, shape), test.y, test.class_names)
    synthetic.parameterization.to(dev)
    x, y = synthetic.decode(shape)
    console = Console(quiet)
    saved = artifact.read_json(Path(run_dir) / artifact.CONFIG_FILE, "run config")
    explicit = set(saved.get("eval_set", [])) | set(updates)
    config = with_eval_defaults(config, synthetic.meta.get("eval_defaults", {}), explicit)
    result = evaluate_synthetic(parts, config, x, y, test, dev, console, shape)
    out: dict[str, Any] = {
        **result.as_dict(),
        "run_dir": str(run_dir),
        "resolution": list(shape[1:]),
        "parameterization": synthetic.meta["parameterization"],
        "num_decoded": int(x.shape[0]),
    }
    metrics_path = Path(run_dir) / artifact.METRICS_FILE
    if metrics_path.exists() and shape != tuple(modality.sample_shape):
        saved = artifact.read_json(metrics_path, "metrics")
        if saved.get("net") == result.net and "accuracy_mean" in saved:
            org = float(saved["accuracy_mean"])
            out["accuracy_original"] = org
            out["accuracy_difference"] = result.mean - org
            out["accuracy_drop_ratio"] = (org - result.mean) / org if org else None
    return out


def decode_run(run_dir: Path, out_dir: Path, resolution: int | None = None,
               registry: Registry | None = None) -> dict[str, Any]:
    """Write every decoded instance as an ordinary file plus ``labels.csv`` into ``out_dir``.

    The files appear all at once: they are written to a temporary folder renamed at the end.
    """
    config, synthetic = load_run(Path(run_dir), registry)
    parts = resolve_parts(config, registry)
    modality = parts.modality
    modality.load_state(synthetic.modality_state())
    shape = modality.shape_at(resolution) if resolution else tuple(modality.sample_shape)
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ConfigError(f"--out {out_dir} already exists and is not empty; choose a new folder")
    x, y = synthetic.decode(shape)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        files = modality.export(x.cpu(), y.cpu(), tmp)
        names = modality.class_names
        with open(tmp / "labels.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["path", "label", "class_name"])
            for path, label in zip(files, y.tolist()):
                w.writerow([path, label, names[label] if label < len(names) else ""])
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"out": str(out_dir), "files": len(files), "shape": list(shape)}
