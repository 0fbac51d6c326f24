"""Network definitions as registered by plugins (``register_networks``).

This module imports no torch: a :class:`NetworkDef` only points at a ``build`` function, which
plugins import lazily.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NetworkDef:
    """A named network family.

    :param name: what ``--set eval.net=...`` and ``ddif eval --net`` take (lowercase, timm-style).
    :param build: ``build(sample_shape, num_classes) -> nn.Module``; ``sample_shape`` is (m, N_1..N_n).
        The module's ``forward(x)`` returns (B, num_classes) logits and ``embed(x)`` returns (B, F)
        features (used by distribution matching).
    :param modalities: modality names it is meant for (empty: any).
    :param description: one line for ``ddif plugins``.
    """

    name: str
    build: Callable[[tuple[int, ...], int], Any]
    modalities: tuple[str, ...] = ()
    description: str = ""
