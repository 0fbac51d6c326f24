"""The resumable distillation loop: optimisers, warm-up, matcher iterations, checkpoints, NaN checks.

Every iteration's randomness comes from a seed that is a pure function of (run seed, iteration), and
a checkpoint holds the stored parameters, the state of every optimiser and the matcher's
``state_dict``, so a run resumed from a checkpoint continues bit-identically.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ddif_core import artifact
from ddif_core.errors import TrainingError
from ddif_core.matcher import Matcher, MatcherContext, ParamGroup
from ddif_core.parameterization import OptimizerSettings, Parameterization
from ddif_core.session import Console


def iteration_seed(seed: int, iteration: int) -> int:
    """The seed of one matcher iteration: a pure function of (run seed, iteration) so resumes agree."""
    return (seed * 1_000_003 + iteration * 7_919 + 17) % (2**63 - 1)


def stored_optimizer(synthetic: Parameterization, lr: float,
                     settings: OptimizerSettings | None = None) -> torch.optim.Optimizer:
    """The optimiser of the stored parameters (fields or values): ``settings`` (from
    :meth:`~ddif_core.parameterization.Parameterization.optimizer_settings`), else Adam at ``lr``."""
    settings = settings or OptimizerSettings("adam", lr)
    return settings.build([{"params": list(synthetic.parameters()), "lr": settings.lr}])


def group_optimizer(group: ParamGroup) -> torch.optim.Optimizer:
    """The optimiser a matcher asked for one of its :class:`~ddif_core.matcher.ParamGroup`."""
    params = list(group.params.values())
    if group.optimizer == "adam":
        return torch.optim.Adam(params, lr=group.lr)
    return torch.optim.SGD(params, lr=group.lr, momentum=group.momentum)


@dataclass
class Optimizers:
    """The stored parameters' optimiser and one per matcher parameter group, stepped together."""

    stored: torch.optim.Optimizer
    groups: list[tuple[ParamGroup, torch.optim.Optimizer]] = field(default_factory=list)

    @classmethod
    def build(cls, synthetic: Parameterization, matcher: Matcher, lr: float,
              settings: OptimizerSettings | None = None) -> "Optimizers":
        return cls(stored_optimizer(synthetic, lr, settings), [(g, group_optimizer(g)) for g in matcher.param_groups()])

    def all(self) -> list[torch.optim.Optimizer]:
        return [self.stored, *(opt for _, opt in self.groups)]

    def step(self, loss: torch.Tensor) -> None:
        """Back-propagate ``loss``, step every optimiser, then apply each group's clamp."""
        for opt in self.all():
            opt.zero_grad(set_to_none=True)
        loss.backward()
        for opt in self.all():
            opt.step()
        with torch.no_grad():
            for group, _ in self.groups:
                if group.clamp_min is not None or group.clamp_max is not None:
                    for p in group.params.values():
                        p.clamp_(min=group.clamp_min, max=group.clamp_max)


@dataclass
class Progress:
    """Where a distillation stands: the next iteration, the losses so far and the timings."""

    start: int = 0
    losses: list[float] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def save_checkpoint(run_dir: Path, iteration: int, synthetic: Parameterization, matcher: Matcher,
                    optimizers: Optimizers, progress: Progress) -> None:
    extra = {f"matcher.{k}": v for k, v in matcher.state_dict().items()}
    artifact.save_checkpoint(run_dir, iteration, synthetic, optimizers.all(), extra,
                             {"losses": progress.losses, "timings": progress.timings})


def restore_checkpoint(run_dir: Path, synthetic: Parameterization, matcher: Matcher,
                       optimizers: Optimizers) -> Progress | None:
    """Load the last checkpoint into the parts (after ``matcher.prepare``); None when there is none."""
    ckpt = artifact.load_checkpoint(run_dir)
    if ckpt is None:
        return None
    tensors, meta = ckpt
    with torch.no_grad():
        for name, p in synthetic.named_parameters():
            p.copy_(tensors[f"param.{name}"])
    matcher.load_state_dict({k.removeprefix("extra.matcher."): v for k, v in tensors.items()
                             if k.startswith("extra.matcher.")})
    artifact.restore_optimizers(optimizers.all(), tensors, meta)
    return Progress(int(meta["iteration"]), list(meta.get("losses", [])), dict(meta.get("timings", {})))


def warm_up(synthetic: Parameterization, ctx: MatcherContext, console: Console) -> float:
    """Initialise the stored parameters from real data (DDiF: fit each field); returns the seconds."""
    t = time.perf_counter()
    with console.bar("warm-up", 1) as bar:
        def progress(stage: str, step: int, total: int, value: float) -> None:
            bar.total = total
            bar.n = step
            bar.set_postfix_str(f"mse {value:.4g}", refresh=False)
            bar.refresh()
        synthetic.initialize(ctx.real, torch.Generator().manual_seed(ctx.seed + 1), progress)
    return time.perf_counter() - t


def distill(synthetic: Parameterization, matcher: Matcher, ctx: MatcherContext, optimizers: Optimizers,
            run_dir: Path, iterations: int, checkpoint_every: int, progress: Progress, console: Console,
            loss_name: str) -> Progress:
    """Run the matcher iterations ``progress.start .. iterations``, checkpointing every ``checkpoint_every``.

    :raises TrainingError: when the loss stops being finite (the last good checkpoint is kept).
    """
    timings = progress.timings
    t = time.perf_counter() - timings.get("distill_s", 0.0)
    with console.bar("distill", iterations, initial=progress.start) as bar:
        for it in range(progress.start, iterations):
            s = iteration_seed(ctx.seed, it)
            torch.manual_seed(s)
            loss = matcher.step(ctx, synthetic, torch.Generator().manual_seed(s))
            value = float(loss.detach())
            if not math.isfinite(value):
                raise _diverged(run_dir, loss_name, value, it)
            optimizers.step(loss)
            progress.losses.append(value)
            bar.update(1)
            bar.set_postfix_str(f"loss {value:.4g}", refresh=False)
            done = it + 1
            if done % checkpoint_every == 0 or done == iterations:
                timings["distill_s"] = time.perf_counter() - t
                save_checkpoint(run_dir, done, synthetic, matcher, optimizers, progress)
    timings["distill_s"] = time.perf_counter() - t
    return progress


def _diverged(run_dir: Path, loss_name: str, value: float, iteration: int) -> TrainingError:
    last = artifact.load_checkpoint(run_dir)
    at: Any = last[1]["iteration"] if last else 0
    return TrainingError(
        f"the {loss_name} loss became {value} at iteration {iteration}; the last good checkpoint "
        f"({run_dir / artifact.CHECKPOINT_FILE}, iteration {at}) is kept; start a new --out with a lower distill.lr "
        f"(--resume keeps the saved settings and would diverge the same way)"
    )
