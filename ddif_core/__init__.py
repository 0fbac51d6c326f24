"""ddif-core: dataset distillation into neural fields.

The public API is imported lazily, so ``import ddif_core`` (and ``ddif --help``) does not import torch::

    from ddif_core import RunConfig, run, SyntheticSet, FieldBank
"""

from __future__ import annotations

from typing import Any

from ddif_core.version import __version__

_LAZY = {
    "run": ("ddif_core.engine", "run"),
    "RunConfig": ("ddif_core.config", "RunConfig"),
    "build_config": ("ddif_core.config", "build_config"),
    "SyntheticSet": ("ddif_core.artifact", "SyntheticSet"),
    "FieldBank": ("ddif_core.fields", "FieldBank"),
    "coordinate_grid": ("ddif_core.grid", "coordinate_grid"),
    "Modality": ("ddif_core.modality", "Modality"),
    "DatasetInfo": ("ddif_core.modality", "DatasetInfo"),
    "Matcher": ("ddif_core.matcher", "Matcher"),
    "Parameterization": ("ddif_core.parameterization", "Parameterization"),
    "NetworkDef": ("ddif_core.networks", "NetworkDef"),
    "evaluate_run": ("ddif_core.runs", "evaluate_run"),
    "decode_run": ("ddif_core.runs", "decode_run"),
    "get_registry": ("ddif_core.plugins", "get_registry"),
    "hookimpl": ("ddif_core.hookspecs", "hookimpl"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'ddif_core' has no attribute {name!r}")
