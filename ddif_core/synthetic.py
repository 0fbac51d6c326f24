"""A saved synthetic set read back: the parameterization with its stored parameters, and its metadata.

Kept apart from :mod:`ddif_core.artifact` (file formats only) because reading a set needs the plugin
registry, which loads the matchers, which write expert files through :mod:`ddif_core.artifact`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ddif_core import artifact
from ddif_core.errors import DataError
from ddif_core.parameterization import Plan
from ddif_core.plugins import get_registry


@dataclass
class SyntheticSet:
    """A stored synthetic set: the parameterization (with its parameters) and the metadata.

    ``SyntheticSet.load(run_dir).decode()`` gives ``(x, y)``: x (K, m, N...) and y (K,).
    """

    parameterization: Any  # ddif_core.parameterization.Parameterization
    meta: dict[str, Any]
    extra: dict[str, torch.Tensor]

    @property
    def labels(self) -> torch.Tensor:
        return self.parameterization.labels

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.meta["sample_shape"])

    @torch.no_grad()
    def decode(self, shape: tuple[int, ...] | None = None, index: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Decode stored items at ``shape`` (default: the training shape).

        :returns: x (k, m, N...) and y (k,).
        """
        x = self.parameterization.decode(index=index, shape=shape)
        y = self.labels if index is None else self.labels[index]
        return x, y

    def modality_state(self) -> dict[str, torch.Tensor]:
        """The modality's fitted tensors stored with the set (see ``Modality.state``)."""
        return {k.removeprefix("modality."): v for k, v in self.extra.items() if k.startswith("modality.")}

    @classmethod
    def load(cls, path: Path | str, registry: Any = None) -> "SyntheticSet":
        """Read ``synthetic.safetensors`` from a run directory (or the file itself)."""
        path = Path(path)
        file = path / artifact.SYNTHETIC_FILE if path.is_dir() else path
        tensors, meta = artifact.read_safetensors(file, "synthetic set")
        if meta.get("format") != artifact.FORMAT:
            raise DataError(f"{file} has format {meta.get('format')!r}, expected {artifact.FORMAT!r}")
        registry = registry or get_registry()
        cls_ = registry.get("parameterizations", meta["parameterization"])
        options = cls_.Options.model_validate(meta["options"])
        plan = Plan(**meta["plan"])
        params = {k.removeprefix("param."): v for k, v in tensors.items() if k.startswith("param.")}
        try:
            obj = cls_.from_state(options, plan, tuple(meta["sample_shape"]), int(meta["num_classes"]), params)
        except (ValueError, RuntimeError) as exc:
            raise DataError(f"{file} does not match its metadata: {exc}") from None
        extra = {k: v for k, v in tensors.items() if not k.startswith("param.") and k != "labels"}
        return cls(obj, meta, extra)
