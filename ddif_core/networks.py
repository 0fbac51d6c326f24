"""Network definitions as registered by plugins (``register_networks``), and the core's ConvNet options.

This module imports no torch: a :class:`NetworkDef` only points at a ``build`` function, which
plugins import lazily.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from ddif_core.config import NoOptions, StrictModel


@dataclass(frozen=True)
class NetworkDef:
    """A named network family.

    :param name: what ``--set eval.net=...`` and ``ddif eval --net`` take (lowercase, timm-style).
    :param build: ``build(sample_shape, num_classes, options) -> nn.Module``; ``sample_shape`` is
        (m, N_1..N_n) and ``options`` a validated instance of ``Options`` (the run's ``[net]`` section).
        The module's ``forward(x)`` returns (B, num_classes) logits and ``embed(x)`` returns (B, F)
        features (used by distribution matching).
    :param modalities: modality names it is meant for (empty: any); a run of another modality that
        picks it stops with a clear error.
    :param description: one line for ``ddif plugins``.
    :param Options: the options model of ``[net]`` (``--set net.width=64``); default: none.
    """

    name: str
    build: Callable[[tuple[int, ...], int, Any], Any]
    modalities: tuple[str, ...] = ()
    description: str = ""
    Options: type[BaseModel] = NoOptions


class ConvNetOptions(StrictModel):
    """``[net]`` settings of the core's ``convnet``."""

    width: int = Field(128, ge=1, description="Filters per convolution.")
    depth: int | None = Field(
        None, ge=1, description="Conv blocks (default from the shortest side: 28/32 -> 3, 64 -> 4, 128 -> 5, 256 -> 6)."
    )
    norm: Literal["instance", "batch", "none"] = Field("instance", description="Normalisation after each convolution.")
    pool: Literal["avg", "max"] = Field("avg", description="2x pooling after each block.")


def build_convnet(sample_shape: tuple[int, ...], num_classes: int, options: Any) -> Any:
    """The core's ``convnet`` for (m, N_1..N_n) input, n in 1..3 (see :class:`ddif_core.convnet.ConvNet`)."""
    from ddif_core.convnet import ConvNet

    o: ConvNetOptions = options if options is not None else ConvNetOptions()
    return ConvNet(sample_shape[0], num_classes, tuple(sample_shape[1:]), width=o.width, depth=o.depth,
                   norm=o.norm, pool=o.pool)
