"""ddif-core: dataset distillation into neural fields.

The public API is imported lazily, so ``import ddif_core`` (and ``ddif --help``) does not import torch::

    from ddif_core import RunConfig, run, SyntheticSet, FieldBank
"""

from __future__ import annotations

from typing import Any

from ddif_core.version import __version__

#: The public surface (what plugins import), name -> (module, attribute).
_LAZY = {
    # modalities and data
    "Modality": ("ddif_core.modality", "Modality"),
    "DatasetInfo": ("ddif_core.modality", "DatasetInfo"),
    "Dataset": ("ddif_core.data", "Dataset"),
    "LabelledData": ("ddif_core.data", "LabelledData"),
    "ArrayDataset": ("ddif_core.data", "ArrayDataset"),
    # data generators and the disk cache
    "DataGenerator": ("ddif_core.generators", "DataGenerator"),
    "GeneratorOptions": ("ddif_core.generators", "GeneratorOptions"),
    "default_cache_dir": ("ddif_core.cache", "default_cache_dir"),
    "cached_arrays": ("ddif_core.cache", "cached_arrays"),
    "source_key": ("ddif_core.cache", "source_key"),
    "generate_into_cache": ("ddif_core.cache", "generate_into_cache"),
    # matchers, parameterizations, networks
    "Matcher": ("ddif_core.matcher", "Matcher"),
    "MatcherContext": ("ddif_core.matcher", "MatcherContext"),
    "MatcherOptions": ("ddif_core.matcher", "MatcherOptions"),
    "ParamGroup": ("ddif_core.matcher", "ParamGroup"),
    "ParamOptions": ("ddif_core.parameterization", "ParamOptions"),
    "Parameterization": ("ddif_core.parameterization", "Parameterization"),
    "NetworkDef": ("ddif_core.networks", "NetworkDef"),
    "ConvNet": ("ddif_core.convnet", "ConvNet"),
    "coordinate_grid": ("ddif_core.grid", "coordinate_grid"),
    "FieldBank": ("ddif_core.fields", "FieldBank"),
    # options, errors, hooks
    "StrictModel": ("ddif_core.config", "StrictModel"),
    "NoOptions": ("ddif_core.config", "NoOptions"),
    "DataError": ("ddif_core.errors", "DataError"),
    "ConfigError": ("ddif_core.errors", "ConfigError"),
    "hookimpl": ("ddif_core.hookspecs", "hookimpl"),
    # running and saved runs
    "RunConfig": ("ddif_core.config", "RunConfig"),
    "build_config": ("ddif_core.config", "build_config"),
    "run": ("ddif_core.engine", "run"),
    "SyntheticSet": ("ddif_core.synthetic", "SyntheticSet"),
    "evaluate_run": ("ddif_core.runs", "evaluate_run"),
    "decode_run": ("ddif_core.runs", "decode_run"),
    "get_registry": ("ddif_core.plugins", "get_registry"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'ddif_core' has no attribute {name!r}")
