"""The contract of a distillation loss ("matcher") and the typed context the engine hands it.

The engine owns the outer loop (the optimisers of the stored parameters and of the matcher's
learnable extras, checkpoints, NaN checks); a matcher owns everything inside one iteration (DM
embeds, DC trains a network, TM unrolls a student) and returns a scalar loss whose graph reaches
the stored parameters. The engine never branches on the matcher's name and never looks for
optional methods: everything it calls is declared here.

Order of calls in a run: ``check_resources`` (before the warm-up) -> ``prepare`` -> (on
``--resume``: ``load_state_dict``) -> ``step`` per iteration, with ``state_dict`` at every
checkpoint -> ``eval_defaults`` and ``artifact_tensors`` at the end.
"""

from __future__ import annotations

import contextlib
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field

from ddif_core.config import StrictModel
from ddif_core.data import ClassBank
from ddif_core.modality import Modality
from ddif_core.parameterization import Parameterization


class MatcherOptions(StrictModel):
    """Base of every matcher's options; subclasses add their own fields."""

    net: str | None = Field(None, description="Network the matcher uses (default: the modality's).")


@dataclass
class MatcherContext:
    """Everything a matcher may use, resolved once by the engine (no settings dictionary).

    :param modality: the modality instance (augmentation, shapes).
    :param real: the real training set grouped by class.
    :param build_network: ``build_network(name=None) -> nn.Module`` on ``device``, freshly initialised
        from torch's global generator (which the engine seeds per iteration); ``None`` picks the
        modality's default network.
    :param device: where tensors live.
    :param seed: the run's seed.
    :param ipc: the storage budget in instances per class.
    :param sample_shape: (m, N_1, ..., N_n) of one instance.
    :param num_classes: number of classes.
    :param cache_dir: a folder for reusable artefacts (expert trajectories), shared across runs.
    :param console: the engine's console (``log`` and ``bar``); None logs to stderr without bars.
    :param net_options: the run's ``[net]`` section, as given (part of cache keys such as TM's experts).
    """

    modality: Modality
    real: ClassBank
    build_network: Callable[..., torch.nn.Module]
    device: torch.device
    seed: int
    ipc: int
    sample_shape: tuple[int, ...]
    num_classes: int
    cache_dir: Path
    console: Any = None
    net_options: dict[str, Any] = field(default_factory=dict)

    def log(self, message: str) -> None:
        """A line for the user (stderr)."""
        if self.console is not None:
            self.console.log(message)
        else:
            print(message, file=sys.stderr)

    @contextlib.contextmanager
    def progress_bar(self, desc: str, total: int) -> Iterator[Callable[[int, int], None]]:
        """A progress bar; yields ``progress(done, total)``."""
        if self.console is None:
            yield lambda done, total: None
            return
        with self.console.bar(desc, total) as bar:
            def progress(done: int, total: int) -> None:
                bar.n = done
                bar.refresh()
            yield progress


@dataclass
class ParamGroup:
    """Learnable tensors of a matcher with their own optimiser (e.g. TM's step size).

    The engine steps them together with the stored parameters, checkpoints their optimiser state,
    and after each step clamps them to ``[clamp_min, clamp_max]`` where given.

    :param params: name -> leaf tensor with ``requires_grad``; the names are the keys under which
        they are checkpointed and stored in the artifact.
    """

    params: dict[str, torch.nn.Parameter]
    lr: float
    optimizer: Literal["sgd", "adam"] = "sgd"
    momentum: float = 0.0
    clamp_min: float | None = None
    clamp_max: float | None = None


class Matcher(ABC):
    """Base class of distillation losses; register subclasses with ``register_matchers``."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    Options: ClassVar[type[MatcherOptions]] = MatcherOptions
    #: The optimiser the loss's original authors used on pixels, e.g. ``{"optimizer": "sgd", "lr": 1.0,
    #: "momentum": 0.5}``: the defaults of the pixel baseline (``--param vanilla``), so that the baseline
    #: is as strong as its own authors made it. Empty: Adam at ``distill.lr``.
    pixel_baseline: ClassVar[dict[str, Any]] = {}

    def __init__(self, options: MatcherOptions | None = None) -> None:
        self.options = options if options is not None else self.Options()

    def check_resources(self, ctx: MatcherContext, synthetic: Parameterization) -> int:
        """Called before the warm-up: estimate the memory an iteration needs (bytes, 0 when not
        estimated) and raise :class:`ddif_core.errors.ConfigError` if the run cannot fit."""
        return 0

    def prepare(self, ctx: MatcherContext) -> None:
        """Called once before the first iteration (TM builds or loads expert trajectories here)."""

    @abstractmethod
    def step(self, ctx: MatcherContext, synthetic: Parameterization, generator: torch.Generator) -> torch.Tensor:
        """One outer iteration's loss (a 0-dim tensor differentiable w.r.t. ``synthetic``'s parameters).

        :param generator: the iteration's random source (the engine seeds it from the run seed and
            the iteration number, so a resumed run draws the same batches).
        """

    def param_groups(self) -> list[ParamGroup]:
        """Learnable extras, each group with its own optimiser settings (default: none)."""
        return []

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Every tensor needed to continue exactly after ``--resume``: the learnable extras and what
        the matcher carries from one iteration to the next (e.g. DC's network and loop counter)."""
        return {name: p.detach() for group in self.param_groups() for name, p in group.params.items()}

    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        """Restore what :meth:`state_dict` returned (called after :meth:`prepare`)."""
        with torch.no_grad():
            for group in self.param_groups():
                for name, p in group.params.items():
                    p.copy_(tensors[name])

    def artifact_tensors(self) -> dict[str, torch.Tensor]:
        """Tensors stored with the synthetic set (default: the learnable extras, e.g. ``syn_lr``)."""
        return {name: p.detach() for group in self.param_groups() for name, p in group.params.items()}

    def eval_defaults(self) -> dict[str, float]:
        """Evaluation settings the distillation learned (TM: its step size as ``lr``); they apply
        unless the user set the same ``eval`` key, and are saved resolved with the run."""
        return {}
