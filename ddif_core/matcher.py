"""The contract of a distillation loss ("matcher") and the context the engine hands it.

The engine owns the outer loop (Adam on the stored parameters, checkpoints, NaN checks); a matcher
owns everything inside one iteration (DM embeds, DC trains a network, TM unrolls a student) and
returns a scalar loss whose graph reaches the stored parameters. The engine never branches on the
matcher's name.
"""

from __future__ import annotations

import contextlib
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch
from pydantic import BaseModel

from ddif_core.config import NoOptions
from ddif_core.data import ClassBank
from ddif_core.modality import Modality
from ddif_core.parameterization import Parameterization


@dataclass
class DistillContext:
    """Everything a matcher may use.

    :param modality: the modality instance (augmentation, shapes).
    :param real: the real training set grouped by class.
    :param build_network: ``build_network(name=None) -> nn.Module`` on ``device``, freshly initialised
        from torch's global generator (which the engine seeds per iteration); ``None`` picks the
        modality's default network.
    :param device: where tensors live.
    :param seed: the run's seed.
    :param cache_dir: a folder for reusable artefacts (expert trajectories), shared across runs.
    :param settings: the resolved run configuration as a dict (read-only).
    :param console: the engine's console (``log`` and ``bar``); None logs to stderr without bars.
    """

    modality: Modality
    real: ClassBank
    build_network: Callable[..., torch.nn.Module]
    device: torch.device
    seed: int
    cache_dir: Path
    settings: dict[str, Any] = field(default_factory=dict)
    console: Any = None

    @property
    def num_classes(self) -> int:
        return self.real.num_classes

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


class Matcher(ABC):
    """Base class of distillation losses; register subclasses with ``register_matchers``."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, options: BaseModel | None = None) -> None:
        self.options = options if options is not None else self.Options()

    def check_resources(self, ctx: DistillContext, synthetic: Parameterization) -> int:
        """Called before the warm-up: estimate the memory an iteration needs (bytes, 0 when not
        estimated) and raise :class:`ddif_core.errors.ConfigError` if the run cannot fit."""
        return 0

    def prepare(self, ctx: DistillContext) -> None:
        """Called once before the first iteration (TM builds or loads expert trajectories here)."""

    @abstractmethod
    def step(self, ctx: DistillContext, synthetic: Parameterization, generator: torch.Generator) -> torch.Tensor:
        """One outer iteration's loss (a 0-dim tensor differentiable w.r.t. ``synthetic``'s parameters).

        :param generator: the iteration's random source (the engine seeds it from the run seed and
            the iteration number, so a resumed run draws the same batches).
        """

    def state(self) -> dict[str, torch.Tensor]:
        """Extra learnable tensors to checkpoint and store in the artifact (e.g. TM's step size)."""
        return {}

    def state_lr(self, name: str) -> float | None:
        """Adam learning rate of the :meth:`state` tensor ``name`` (None: the stored parameters' lr)."""
        return None

    def eval_defaults(self) -> dict[str, float]:
        """Evaluation settings the distillation learned (TM: its step size as ``lr``); they apply
        unless the user set the same ``eval`` key, and are stored with the synthetic set."""
        return {}

    def checkpoint_state(self) -> dict[str, torch.Tensor]:
        """Internal tensors carried from one iteration to the next (e.g. DC's network), checkpointed so
        that ``--resume`` continues exactly; restored with :meth:`restore_state`."""
        return {}

    def restore_state(self, ctx: DistillContext, tensors: dict[str, torch.Tensor]) -> None:
        """Restore what :meth:`checkpoint_state` returned (called after :meth:`prepare`)."""
