"""What a finished run leaves behind: the artifact, the renders, the resolved evaluation and the metrics.

Evaluation settings are resolved once: the keys the user set keep their values, the settings the
distillation learned (``Matcher.eval_defaults``, e.g. TM's step size as ``eval.lr``) fill the keys
the user did not set, and the result is saved resolved in config.json, the artifact and metrics.json,
so ``ddif eval`` and ``--resume`` never have to guess which keys were the user's.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

from ddif_core import artifact, render
from ddif_core.budget import BudgetReport
from ddif_core.config import EvalSection, RunConfig
from ddif_core.data import LabelledData
from ddif_core.evaluate import EvalResult, evaluate
from ddif_core.matcher import Matcher
from ddif_core.modality import Modality
from ddif_core.parameterization import Parameterization
from ddif_core.session import Console, Parts


def resolve_eval(section: EvalSection, user_set: Iterable[str], learned: dict[str, Any]) -> EvalSection:
    """``section`` with the ``learned`` values on every key not in ``user_set``."""
    user = set(user_set)
    unset = {k: v for k, v in learned.items() if k not in user}
    return EvalSection.model_validate({**section.model_dump(), **unset}) if unset else section


def save_artifact(run_dir: Path, synthetic: Parameterization, matcher: Matcher, modality: Modality,
                  config: RunConfig, learned: dict[str, Any], resolved: EvalSection) -> None:
    """``synthetic.safetensors``: stored parameters, the matcher's artifact tensors, the modality's
    fitted state, and metadata with the learned and the resolved evaluation settings."""
    meta = artifact.synthetic_meta(
        synthetic, modality=modality.name, dataset=modality.dataset, class_names=modality.class_names,
        loss=config.run.loss, seed=config.run.seed, eval_defaults=learned, eval=resolved.model_dump(mode="json"),
    )
    stored = {**matcher.artifact_tensors(), **{f"modality.{k}": v for k, v in modality.state().items()}}
    artifact.save_synthetic(run_dir / artifact.SYNTHETIC_FILE, synthetic, stored, meta)


def record_resolved_eval(run_dir: Path, learned: dict[str, Any], resolved: EvalSection) -> None:
    """Add the learned and the resolved evaluation settings to the run's config.json."""
    info = artifact.read_json(run_dir / artifact.CONFIG_FILE, "run config")
    info.update(eval_learned=learned, eval_resolved=resolved.model_dump(mode="json"))
    artifact.write_json(run_dir / artifact.CONFIG_FILE, info)


def write_previews(modality: Modality, x: torch.Tensor, y: torch.Tensor, run_dir: Path, console: Console) -> None:
    """The modality's ``"preview"`` files in the run dir and ``"per-class"`` files in ``previews/``
    (:func:`ddif_core.render.write_previews`; a modality that renders nothing writes nothing)."""
    if not render.write_previews(modality, x, y, run_dir):
        console.log(f"ddif: modality '{modality.name}' renders no preview")


def evaluate_synthetic(parts: Parts, config: RunConfig, x: torch.Tensor, y: torch.Tensor, test: LabelledData,
                       device: torch.device, console: Console, shape: tuple[int, ...]) -> EvalResult:
    """Train ``config.eval.runs`` fresh networks on x (K, m, ...) / y (K,) and score them on ``test``."""
    opts = config.eval
    net_name = opts.net or parts.modality.default_network
    with console.bar(f"eval ({opts.runs} x {net_name})", opts.runs * opts.epochs) as bar:
        def progress(done: int, total: int) -> None:
            bar.n = done
            bar.refresh() if done % 10 == 0 or done == total else None
        return evaluate(x, y, test, lambda: parts.network(net_name, shape, device), opts, parts.modality,
                        config.run.seed, device, net_name, progress)


def run_metrics(result: EvalResult, budget: BudgetReport, resolved: EvalSection, num_decoded: int,
                iterations: int, losses: list[float], timings: dict[str, float], device: torch.device
                ) -> dict[str, Any]:
    """The contents of ``metrics.json``."""
    return {
        **result.as_dict(),
        "num_decoded": num_decoded,
        "budget_used": budget.budget_used,
        "budget_allowed": budget.total_budget,
        "params_per_item": budget.params_per_field,
        "items_per_class": budget.fields_per_class,
        "iterations": iterations,
        "eval_lr": resolved.lr,
        "eval": resolved.model_dump(mode="json"),
        "final_loss": losses[-1] if losses else None,
        "loss_history": losses[:: max(1, len(losses) // 200)],
        "timings": timings,
        "device": str(device),
    }
