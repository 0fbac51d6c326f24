"""The contract of a data modality (image, video, audio, voxel, or a third party's).

A modality knows its datasets (shape, classes, where the files live), reads them from a local root
(never downloads at run time), names its default network, augments batches (siamese: the same random
parameters for a real and a synthetic batch), and renders decoded instances for people.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from pydantic import BaseModel

from ddif_core.config import NoOptions
from ddif_core.data import LabelledData
from ddif_core.grid import coordinate_grid


@dataclass(frozen=True)
class DatasetInfo:
    """What is known about a dataset without reading it.

    :param sample_shape: (m, N_1, ..., N_n) of one instance at the dataset's native resolution.
    :param class_names: one name per class.
    :param field_table: the paper's Table-8 field sizes by IPC: ``{ipc: (layers, width)}``.
    """

    name: str
    sample_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    description: str = ""
    field_table: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


class Modality(ABC):
    """Base class of modalities; subclasses are registered with ``register_modalities``.

    :param options: an instance of the subclass's ``Options`` model (``[modality]`` settings).
    :param dataset: one of :attr:`datasets` (default :attr:`default_dataset`).
    :param data_root: folder holding the dataset files (default: the modality's own guess).
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    Options: ClassVar[type[BaseModel]] = NoOptions
    default_dataset: ClassVar[str]
    default_network: ClassVar[str]

    def __init__(self, options: BaseModel | None = None, dataset: str | None = None, data_root: Path | None = None):
        self.options = options if options is not None else self.Options()
        self.dataset = dataset or self.default_dataset
        self.data_root = Path(data_root) if data_root else None
        self.info = self.dataset_info(self.dataset, self.options)

    # ---- what the modality knows without reading data -------------------------------------
    @classmethod
    @abstractmethod
    def datasets(cls) -> dict[str, DatasetInfo]:
        """Every dataset this modality can read, by name."""

    @classmethod
    def dataset_info(cls, dataset: str, options: BaseModel | None = None) -> DatasetInfo:
        """The :class:`DatasetInfo` of ``dataset`` under ``options`` (e.g. a chosen resolution)."""
        from ddif_core.errors import ConfigError

        table = cls.datasets()
        if dataset not in table:
            raise ConfigError(
                f"unknown dataset '{dataset}' for modality '{cls.name}' (available: {', '.join(sorted(table))})"
            )
        return table[dataset]

    @classmethod
    def presets(cls) -> dict[str, dict[str, Any]]:
        """Named run presets: ``{name: {section: {key: value}}}`` (see :class:`ddif_core.config.RunConfig`)."""
        return {}

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """(m, N_1, ..., N_n) of one instance as loaded."""
        return self.info.sample_shape

    def shape_at(self, resolution: int) -> tuple[int, ...]:
        """The sample shape with every spatial axis set to ``resolution`` (cross-resolution)."""
        return (self.sample_shape[0],) + (int(resolution),) * (len(self.sample_shape) - 1)

    def coordinate_grid(self, shape: tuple[int, ...], device: torch.device | str | None = None) -> torch.Tensor:
        """(P, n) points in [-1, 1]^n for the spatial part of ``shape`` = (m, N_1, ..., N_n)."""
        return coordinate_grid(shape[1:], device=device)

    # ---- data --------------------------------------------------------------------------------
    @abstractmethod
    def load(self, split: str) -> LabelledData:
        """Read ``split`` ('train' or 'test') from the local root, normalised, as float32 tensors.

        Raise :class:`ddif_core.errors.DataError` naming the path and the expected files when
        something is missing or malformed.
        """

    def resize(self, x: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
        """Resize real instances (B, m, N...) to ``shape`` = (m, N'...) (area-weighted down, linear up)."""
        spatial = tuple(shape[1:])
        if tuple(x.shape[2:]) == spatial:
            return x
        mode = {1: "linear", 2: "bilinear", 3: "trilinear"}[len(spatial)]
        down = all(a >= b for a, b in zip(x.shape[2:], spatial))
        if down and len(spatial) == 2:
            return F.interpolate(x, size=spatial, mode="bilinear", antialias=True, align_corners=False)
        return F.interpolate(x, size=spatial, mode=mode, align_corners=False)

    # ---- augmentation (siamese) ---------------------------------------------------------------
    def sample_augmentation(self, num_slots: int, generator: torch.Generator) -> Any | None:
        """Draw random augmentation parameters for ``num_slots`` slots (None: no augmentation)."""
        return None

    def sample_siamese_augmentation(self, num_slots: int, generator: torch.Generator) -> Any | None:
        """Draw ``num_slots`` complete, independent augmentations (everything random -- for DSA also
        the operation -- chosen per slot), for siamese matching with one slot per class: DM and DC
        apply slot ``c`` to every real and every synthetic sample of class ``c``, as DSA's reference
        does. The default is :meth:`sample_augmentation`, right for modalities whose every random
        choice is already drawn per slot."""
        return self.sample_augmentation(num_slots, generator)

    def augment(self, x: torch.Tensor, params: Any | None, slots: torch.Tensor | None = None) -> torch.Tensor:
        """Apply augmentation ``params`` to x (B, m, N...); sample i uses slot ``slots[i]``.

        Must be differentiable w.r.t. x. Applying the same ``params`` to a real and a synthetic
        batch gives the siamese augmentation of DSA. The default is the identity.
        """
        return x

    # ---- state fitted on the data (stored in the artifact) --------------------------------------
    def state(self) -> dict[str, torch.Tensor]:
        """Tensors fitted on the training data that decoding depends on (e.g. a ZCA matrix).

        The engine stores them in ``synthetic.safetensors`` (as ``modality.<name>``) so that a saved run
        is shown and evaluated with exactly the transform it was distilled in.
        """
        return {}

    def load_state(self, tensors: dict[str, torch.Tensor]) -> None:
        """Adopt tensors returned by :meth:`state` (called before :meth:`load` when re-opening a run)."""

    # ---- for people ---------------------------------------------------------------------------
    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """Undo the loader's normalisation (for previews and exported files)."""
        return x

    def preview(self, x: torch.Tensor, y: torch.Tensor, path: Path, max_per_class: int = 10) -> None:
        """Write a picture of decoded instances x (K, m, N...) with labels y (K,) to ``path``."""
        raise NotImplementedError(f"modality '{self.name}' has no preview")

    def preview_classes(self, x: torch.Tensor, y: torch.Tensor, out_dir: Path, max_per_class: int = 100) -> list[str]:
        """One picture per class of decoded instances x (K, m, N...) under ``out_dir``; returns the file names.

        Optional: the engine writes them to ``<run>/previews/`` when the modality has them.
        """
        raise NotImplementedError(f"modality '{self.name}' has no per-class previews")

    def preview_compare(self, xs: list[torch.Tensor], y: torch.Tensor, path: Path, max_per_class: int = 5) -> None:
        """A picture of the same instances decoded at several resolutions side by side.

        ``xs[j]`` is (K, m, N_j...) for every j (same K and order, labels y (K,)); used by
        ``ddif decode --resolution`` to show coordinate interpolation next to the native grid.
        """
        raise NotImplementedError(f"modality '{self.name}' has no side-by-side preview")

    def export(self, x: torch.Tensor, y: torch.Tensor, out_dir: Path) -> list[str]:
        """Write decoded instances as ordinary files under ``out_dir``; returns their relative paths."""
        raise NotImplementedError(f"modality '{self.name}' cannot export decoded instances")

    @property
    def class_names(self) -> list[str]:
        return list(self.info.class_names)
