"""``ddif run``: session (parts, device, data) -> warm-up -> resumable matcher loop -> outputs.

The engine is modality- and loss-agnostic: it asks the registry for the parts named in the config
and talks to them only through their base classes. The work is split by responsibility:
:mod:`ddif_core.session` (parts, device, data, matcher context), :mod:`ddif_core.distill` (optimisers,
warm-up, iterations, checkpoints) and :mod:`ddif_core.outputs` (artifact, previews, resolved
evaluation, metrics); this module holds the run directory and the order of the steps.
"""

from __future__ import annotations

import math
import platform
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import torch

from ddif_core import artifact, limits, rundir
from ddif_core.config import EvalSection, RunConfig
from ddif_core.distill import Optimizers, Progress, distill, restore_checkpoint, save_checkpoint, warm_up
from ddif_core.errors import ConfigError
from ddif_core.outputs import (
    evaluate_synthetic,
    record_resolved_eval,
    resolve_eval,
    run_metrics,
    save_artifact,
    write_previews,
)
from ddif_core.plugins import Registry
from ddif_core.session import (  # noqa: F401  (re-exported: the engine's public helpers)
    Console,
    Parts,
    Session,
    load_split,
    open_session,
    plan_budget,
    prepare_process,
    resolve_device,
    resolve_parts,
)

__all__ = ["RunResult", "run", "resume_config", "prepare_run_dir", "evaluate_synthetic", "plan_budget",
           "resolve_parts", "resolve_device", "load_split", "prepare_process", "Console", "Parts"]


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict[str, Any]


def default_out(config: RunConfig) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{stamp}-{config.run.modality}-{config.run.loss}"


def _run_info(config: RunConfig, registry: Registry) -> dict[str, Any]:
    return {
        "config": config.to_dict(),
        "eval_set": sorted(config.eval.model_fields_set),  # keys the user set (learned settings fill the rest)
        "versions": registry.versions(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "created": datetime.now().isoformat(timespec="seconds"),
    }


def resume_config(run_dir: Path, device: str | None = None) -> RunConfig:
    """The saved config of ``run_dir`` (for ``ddif run --resume --out RUN``), with only the ``eval``
    keys the user set marked as set, so learned evaluation settings still apply."""
    config, eval_set = rundir.saved_config(run_dir)
    ev = EvalSection.model_construct(_fields_set=eval_set, **config.eval.model_dump())
    # --out is the run dir: the path saved in its config.json (a moved copy, an edited file) is never used
    updates = {"out": str(run_dir), **({"device": device} if device else {})}
    return config.model_copy(update={"eval": ev, "run": config.run.model_copy(update=updates)})


def prepare_run_dir(config: RunConfig, resume: bool, registry: Registry) -> tuple[Path, set[str]]:
    """Claim (lock) the run directory; a new run writes config.json, a resume checks the saved settings.

    ``run.out`` is the run directory: with resume, the ``out`` saved in its config.json is ignored.

    :returns: the run directory and the ``eval`` keys the user set (on resume: as saved).
    """
    out = Path(config.run.out) if config.run.out else default_out(config)
    if resume:
        saved, eval_set = rundir.saved_config(out)
        diff = _first_difference(saved.to_dict(), config.to_dict(), ignore={("run", "device"), ("run", "out")})
        if diff:
            raise ConfigError(
                f"--resume continues {out} with its saved settings, but '{diff[0]}' differs "
                f"(saved {diff[1]!r}, given {diff[2]!r}); drop the option or start a new --out"
            )
        return rundir.claim(out, resume=True), eval_set
    rundir.claim(out, resume=False)
    info = _run_info(config.model_copy(update={"run": config.run.model_copy(update={"out": str(out)})}), registry)
    artifact.write_json(out / artifact.CONFIG_FILE, info)
    return out, set(config.eval.model_fields_set)


def _first_difference(a: dict[str, Any], b: dict[str, Any], ignore: set[tuple[str, str]]) -> tuple[str, Any, Any] | None:
    for section in sorted(set(a) | set(b)):
        sa, sb = a.get(section, {}), b.get(section, {})
        for key in sorted(set(sa) | set(sb)):
            if (section, key) in ignore:
                continue
            if sa.get(key) != sb.get(key):
                return f"{section}.{key}", sa.get(key), sb.get(key)
    return None


def run(config: RunConfig, resume: bool = False, quiet: bool = False, registry: Registry | None = None) -> RunResult:
    """Distil, evaluate and save one run; returns the run directory and its metrics.

    The run directory is locked while the run lasts; a new one that fails before its first
    checkpoint is removed (see :mod:`ddif_core.rundir`).
    """
    with rundir.session():
        return _run(config, resume, quiet, registry)


def working_set(synthetic: Any, matcher: Any, ctx: Any) -> dict[str, tuple[int, str]]:
    """What the run will hold besides the stored parameters, in bytes, with the option lowering each:
    the parameterization's warm-up and decoded set, and one real batch of every class (float32)."""
    held = dict(synthetic.memory_estimate())
    per_class = getattr(matcher.options, "batch_real", None)
    if per_class:
        smallest = int(ctx.real.counts.min())
        batch = ctx.num_classes * min(int(per_class), smallest) * math.prod(ctx.sample_shape) * 4
        held["real batches"] = (batch, "matcher.batch_real")
    return held


def _run(config: RunConfig, resume: bool, quiet: bool, registry: Registry | None) -> RunResult:
    if not config.run.out:
        config = config.model_copy(update={"run": config.run.model_copy(update={"out": str(default_out(config))})})
    session = open_session(config, registry, quiet, splits=())
    parts, console, seed = session.parts, session.console, config.run.seed
    plan, budget = plan_budget(parts, config.run.ipc)
    limits.check_memory(limits.run_bytes(budget.budget_used, budget.total_fields, budget.sample_shape),
                        f"the synthetic set of --ipc {config.run.ipc} ({budget.total_fields} items)",
                        "lower --ipc (or param.fields_per_class)", session.device)
    t = time.perf_counter()
    session.load(("train", "test"))  # data problems surface before anything is written
    load_s = time.perf_counter() - t
    torch.manual_seed(seed)
    synthetic = parts.param_cls(parts.param_options, plan, parts.modality.sample_shape, parts.modality.info.num_classes,
                                generator=torch.Generator().manual_seed(seed)).to(session.device)
    synthetic.bind_modality(parts.modality)
    ctx = session.matcher_context(Path(config.run.out).parent / ".cache")  # type: ignore[arg-type]
    parts.matcher.check_resources(ctx, synthetic)  # an impossible run fails now, before anything is written
    limits.check_working_set(working_set(synthetic, parts.matcher, ctx), session.device)
    run_dir, user_eval = prepare_run_dir(config, resume, parts.registry)
    console.log(
        f"ddif: {parts.modality.name}/{parts.modality.dataset} ipc={config.run.ipc} param={config.run.param} "
        f"loss={config.run.loss} -> {budget.fields_per_class} x {budget.params_per_field}-parameter items per class "
        f"(budget {budget.budget_used}/{budget.total_budget}); device {session.device}; run dir {run_dir}"
    )
    progress = _distil(session, synthetic, ctx, run_dir, resume, load_s)
    learned = parts.matcher.eval_defaults()
    resolved = resolve_eval(config.eval, user_eval, learned)
    save_artifact(run_dir, synthetic, parts.matcher, parts.modality, config, learned, resolved)
    record_resolved_eval(run_dir, learned, resolved)
    with torch.no_grad():
        x_syn = synthetic.decode()
    write_previews(parts.modality, x_syn, synthetic.labels, run_dir, console)
    assert session.test is not None
    result = evaluate_synthetic(parts, config.model_copy(update={"eval": resolved}), x_syn, synthetic.labels,
                                session.test, session.device, console, parts.modality.sample_shape)
    progress.timings["eval_s"] = result.seconds
    metrics = run_metrics(result, budget, resolved, int(x_syn.shape[0]), config.distill.iterations,
                          progress.losses, progress.timings, session.device)
    # which data the figures are on (a generated stand-in must never read as the real dataset)
    metrics = {"modality": parts.modality.name, "dataset": parts.modality.dataset, **metrics}
    metrics["optimizer"] = synthetic.optimizer_settings(config.distill.lr, type(parts.matcher).pixel_baseline).as_dict()
    artifact.write_json(run_dir / artifact.METRICS_FILE, metrics)
    return RunResult(run_dir, metrics)


def _distil(session: Session, synthetic: Any, ctx: Any, run_dir: Path, resume: bool, load_s: float) -> Progress:
    """Warm-up (or restore the last checkpoint) and run the matcher iterations."""
    config, matcher = session.config, session.parts.matcher
    # the parameterization picks its optimiser (vanilla: the loss's original pixel optimiser, no branch on the loss)
    settings = synthetic.optimizer_settings(config.distill.lr, type(matcher).pixel_baseline)
    optimizers = Optimizers.build(synthetic, matcher, settings.lr, settings)
    matcher.prepare(ctx)
    progress = restore_checkpoint(run_dir, synthetic, matcher, optimizers) if resume else None
    if progress is not None:
        session.console.log(f"ddif: resuming {run_dir} at iteration {progress.start}")
    else:
        progress = Progress(timings={"load_s": load_s})
        progress.timings["init_s"] = warm_up(synthetic, ctx, session.console)
        save_checkpoint(run_dir, 0, synthetic, matcher, optimizers, progress)
    return distill(synthetic, matcher, ctx, optimizers, run_dir, config.distill.iterations,
                   config.distill.checkpoint_every, progress, session.console, config.run.loss)
