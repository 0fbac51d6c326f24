"""Working with saved runs: ``ddif eval`` (re-evaluate, other net or resolution) and ``ddif decode``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ddif_core import artifact, limits, rundir
from ddif_core.config import RunConfig, describe_validation_error, parse_set
from ddif_core.errors import ConfigError, DataError
from ddif_core.outdir import new_output_dir, require_new_dir
from ddif_core.outputs import evaluate_synthetic, resolve_eval
from ddif_core.plugins import Registry
from ddif_core.render import export_format, fill_decoded
from ddif_core.session import Console, load_split, prepare_process, resolve_device, resolve_parts
from ddif_core.synthetic import SyntheticSet


def load_run(run_dir: Path, registry: Registry | None = None) -> tuple[RunConfig, SyntheticSet]:
    """The saved config and synthetic set of a finished run."""
    run_dir = artifact.require_run_dir(run_dir)
    config, _ = rundir.saved_config(run_dir)
    if not (run_dir / artifact.SYNTHETIC_FILE).exists():
        raise DataError(
            f"{run_dir} has no {artifact.SYNTHETIC_FILE} yet (the run did not finish); continue it with "
            f"ddif run --resume --out {run_dir}"
        )
    return config, SyntheticSet.load(run_dir, registry)


def evaluate_run(
    run_dir: Path,
    net: str | None = None,
    resolution: int | str | tuple[int, ...] | None = None,
    runs: int | None = None,
    epochs: int | None = None,
    device: str | None = None,
    data_root: str | None = None,
    quiet: bool = False,
    registry: Registry | None = None,
    sets: tuple[str, ...] | list[str] = (),
) -> dict[str, Any]:
    """Train fresh networks on a saved synthetic set, optionally decoded at another resolution.

    With ``resolution``, DDiF fields are decoded on the finer/coarser grid (coordinate
    interpolation), input-sized sets are resized with ``eval.upsample`` (default
    ``param.upsample``), and the real test set is resized to match. The accuracy at the original
    resolution (ACC_org of the paper's Table 13) comes from the run's ``metrics.json`` when it was
    measured with the same network and protocol, else it is measured here too; the result then
    holds the difference and the drop ratio (ACC_org - ACC_R) / ACC_org.

    :param sets: ``eval.key=value`` overrides (``ddif eval --set``).
    """
    config, synthetic = load_run(Path(run_dir), registry)
    saved_metrics = _read_metrics(Path(run_dir))  # a damaged file is reported now, not after the training
    updates, net_updates = _eval_updates(sets, net=net, runs=runs, epochs=epochs)
    config = _eval_config(config, _resolved_eval(Path(run_dir), config, synthetic), updates,
                          {"device": device, "data_root": data_root}, net_updates)
    parts = resolve_parts(config, registry)
    dev = resolve_device(config.run.device)
    prepare_process(dev)
    modality = parts.modality
    param_options = _bind_saved_set(modality, synthetic, Path(run_dir), config.eval.upsample)
    native = tuple(modality.sample_shape)
    shape = modality.shape_at(resolution) if resolution is not None else native
    if shape != native:
        _check_decode_memory(synthetic, shape, f"--resolution {resolution}", dev)
    synthetic.parameterization.to(dev)
    console = Console(quiet)

    def score(at: tuple[int, ...]) -> Any:
        test = load_split(modality, "test", dev, parts.source()) if at == native else modality.load_at("test", at)
        x, y = synthetic.decode(at)
        return evaluate_synthetic(parts, config, x, y, test, dev, console, at), int(x.shape[0])

    result, num_decoded = score(shape)
    out: dict[str, Any] = {
        **result.as_dict(),
        "run_dir": str(run_dir),
        "resolution": list(shape[1:]),
        "original_resolution": list(native[1:]),
        "parameterization": synthetic.meta["parameterization"],
        "num_decoded": num_decoded,
    }
    if "upsample" in type(param_options).model_fields:
        out["upsample"] = param_options.upsample
    if shape != native:
        changed = bool(updates.keys() - {"net", "runs", "epochs"}) or bool(net_updates)
        org = _saved_original(saved_metrics, result.net, config, changed)
        out.update(_compared_with_original(result.mean, org, lambda: score(native)[0].mean))
    return out


def _bind_saved_set(modality: Any, synthetic: SyntheticSet, run_dir: Path, upsample: str | None) -> Any:
    """Check the saved set against the dataset read now, give the modality its saved state and the set the
    modality's resampling (``upsample`` overrides a vanilla set's mode); returns the set's options."""
    _check_classes(modality, synthetic, run_dir)
    modality.load_state(synthetic.modality_state())
    synthetic.parameterization.bind_modality(modality)
    param_options = synthetic.parameterization.options
    if upsample is not None and "upsample" in type(param_options).model_fields:
        param_options.upsample = upsample
    return param_options


def _compared_with_original(accuracy: float, original: float | None, measure: Any) -> dict[str, Any]:
    """Table 13's columns: ACC_org (saved, else ``measure()``d now), Diff = ACC_org - ACC_test and the drop ratio."""
    source = "metrics.json"
    if original is None:
        original, source = measure(), "evaluated"
    return {"accuracy_original": original, "accuracy_original_source": source,
            "accuracy_difference": original - accuracy,  # Table 13: Diff = ACC_org - ACC_test
            "accuracy_drop_ratio": (original - accuracy) / original if original else None}


def _eval_updates(sets: tuple[str, ...] | list[str], **flags: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``eval`` keys ``ddif eval`` changes (``--set eval.KEY=VALUE`` items and the given flags) and the
    ``net`` keys (``--set net.KEY=VALUE``, e.g. ``net.depth=5`` for Table 13's ConvNetD5 rows at 256 px)."""
    updates: dict[str, Any] = {}
    net_updates: dict[str, Any] = {}
    for item in sets:
        parts_, value = parse_set(item)
        if parts_[0] not in ("eval", "net") or len(parts_) != 2:
            raise ConfigError(
                f"ddif eval --set takes eval.KEY=VALUE or net.KEY=VALUE settings (e.g. eval.upsample=bicubic, "
                f"net.depth=5), got {item!r}; the other settings of a saved run cannot change"
            )
        (updates if parts_[0] == "eval" else net_updates)[parts_[1]] = value
    updates.update({k: v for k, v in flags.items() if v is not None})
    return updates, net_updates


def _eval_config(config: RunConfig, saved_eval: dict[str, Any], updates: dict[str, Any],
                 run_updates: dict[str, Any], net_updates: dict[str, Any] | None = None) -> RunConfig:
    """The saved config with its resolved evaluation settings, ``updates`` (and ``net_updates``) on top."""
    run = {**config.run.model_dump(), **{k: v for k, v in run_updates.items() if v is not None}}
    net = {**config.net, **(net_updates or {})}
    try:
        return RunConfig.model_validate({**config.to_dict(), "eval": {**saved_eval, **updates}, "run": run,
                                         "net": net})
    except ValidationError as err:
        raise ConfigError(describe_validation_error(err)) from None


def _resolved_eval(run_dir: Path, config: RunConfig, synthetic: SyntheticSet) -> dict[str, Any]:
    """The run's evaluation settings as resolved when it finished (user-set + learned)."""
    if "eval" in synthetic.meta:
        return dict(synthetic.meta["eval"])
    _, eval_set = rundir.saved_config(run_dir)  # artifacts of older versions
    return resolve_eval(config.eval, sorted(eval_set), synthetic.meta.get("eval_defaults", {})).model_dump()


def _check_classes(modality: Any, synthetic: SyntheticSet, run_dir: Path) -> None:
    """The dataset read now must have the classes the run was distilled on (a user's folder may change)."""
    saved = synthetic.meta.get("class_names")
    if saved is not None and list(saved) != list(modality.class_names):
        raise DataError(
            f"{run_dir} was distilled on {len(saved)} classes ({', '.join(map(str, saved[:5]))}...) but the dataset "
            f"read now has {len(modality.class_names)} ({', '.join(modality.class_names[:5])}...); pass the "
            f"--data-root it was distilled from"
        )


def _read_metrics(run_dir: Path) -> dict[str, Any] | None:
    """The run's metrics.json (None when it has none); a damaged one is a DataError naming it."""
    path = run_dir / artifact.METRICS_FILE
    if not path.exists():
        return None
    data = artifact.read_json(path, "metrics")
    if not isinstance(data, dict) or not isinstance(data.get("accuracy_mean", 0.0), (int, float, type(None))):
        raise DataError(f"metrics {path} is not a ddif metrics file (expected a JSON object with a numeric "
                        f"accuracy_mean); restore it or delete it")
    return data


def _saved_original(saved: dict[str, Any] | None, net: str, config: RunConfig, other_settings: bool) -> float | None:
    """The run's own accuracy at its resolution when it was measured with this network and protocol."""
    if other_settings or saved is None:
        return None
    same = (saved.get("net") == net and saved.get("epochs") == config.eval.epochs
            and saved.get("runs") == config.eval.runs and isinstance(saved.get("accuracy_mean"), (int, float)))
    return float(saved["accuracy_mean"]) if same else None


def _check_decode_memory(synthetic: SyntheticSet, shape: tuple[int, ...], what: str, device: Any) -> None:
    """Refuse decoding every stored item at ``shape`` when the result would not fit in memory."""
    count = int(synthetic.labels.shape[0])
    limits.check_memory(limits.tensor_bytes(count, *shape),
                        f"decoding {count} instances at {'x'.join(map(str, shape[1:]))} ({what})",
                        "choose a smaller --resolution", device)


def decode_run(run_dir: Path, out_dir: Path, resolution: int | str | tuple[int, ...] | None = None,
               registry: Registry | None = None, fmt: str | None = None) -> dict[str, Any]:
    """Write every decoded instance as a file plus ``labels.csv`` into ``out_dir``
    (:func:`ddif_core.render.fill_decoded`).

    :param fmt: an export format of the modality (default its first) or ``npy`` (one array per instance).
    With ``resolution``, the modality's ``"compare"`` picture shows the instances at the native shape next
    to the asked one; otherwise its ``"preview"``. The files appear all at once: they are written to a
    temporary folder renamed at the end.
    """
    config, synthetic = load_run(Path(run_dir), registry)
    parts = resolve_parts(config, registry)
    modality = parts.modality
    _bind_saved_set(modality, synthetic, Path(run_dir), None)
    shape = modality.shape_at(resolution) if resolution is not None else tuple(modality.sample_shape)
    out_dir = require_new_dir(Path(out_dir))
    fmt = export_format(modality, fmt)  # a wrong --format fails before decoding
    _check_decode_memory(synthetic, shape, f"--resolution {resolution}" if resolution else "the native grid", None)
    x, y = synthetic.decode(shape)
    native = tuple(modality.sample_shape)
    compare = [synthetic.decode(native)[0], x] if shape != native else None
    with new_output_dir(out_dir) as tmp:
        files = fill_decoded(modality, x, y, tmp, fmt, compare)
    return {"out": str(out_dir), "files": len(files), "shape": list(shape), "format": fmt}
