"""The contract of a distillation loss ("matcher") and the context the engine hands it.

The engine owns the outer loop (Adam on the stored parameters, checkpoints, NaN checks); a matcher
owns everything inside one iteration (DM embeds, DC trains a network, TM unrolls a student) and
returns a scalar loss whose graph reaches the stored parameters. The engine never branches on the
matcher's name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
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
    """

    modality: Modality
    real: ClassBank
    build_network: Callable[..., torch.nn.Module]
    device: torch.device
    seed: int
    cache_dir: Path
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return self.real.num_classes


class Matcher(ABC):
    """Base class of distillation losses; register subclasses with ``register_matchers``."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, options: BaseModel | None = None) -> None:
        self.options = options if options is not None else self.Options()

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
