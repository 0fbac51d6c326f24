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
from pydantic import BaseModel

from ddif_core.config import NoOptions
from ddif_core.data import Dataset, ResizedDataset
from ddif_core.shapes import Resolution, resample, shape_with


@dataclass(frozen=True)
class DatasetInfo:
    """What is known about a dataset without reading it.

    :param sample_shape: (m, N_1, ..., N_n) of one instance at the dataset's native resolution.
    :param class_names: one name per class.
    :param field_table: the paper's Table-8 field sizes by IPC: ``{ipc: (layers, width)}`` or, with
        the SIREN frequencies the authors use for the dataset, ``{ipc: (layers, width, w0_first, w0)}``
        (first-layer and hidden-layer w0; 30 and 30 when a row leaves them out).
    """

    name: str
    sample_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    description: str = ""
    field_table: dict[int, tuple[int, ...]] = field(default_factory=dict)

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

    def shape_at(self, resolution: Resolution) -> tuple[int, ...]:
        """The sample shape at ``resolution``: an int sets every spatial axis, a tuple gives each axis.

        Raises :class:`~ddif_core.errors.ConfigError` when a tuple has the wrong number of axes.
        A modality whose axes differ in kind may override it (e.g. an int changing space only).
        """
        return shape_with(self.sample_shape, resolution)

    # ---- data --------------------------------------------------------------------------------
    @abstractmethod
    def load(self, split: str) -> Dataset:
        """Read ``split`` ('train' or 'test') from the local root, normalised: any :class:`~ddif_core.data.Dataset`.

        :class:`~ddif_core.data.LabelledData` holds a split in memory; for data larger than memory
        return an :class:`~ddif_core.data.ArrayDataset` over a memory map (see :mod:`ddif_core.cache`).
        Raise :class:`ddif_core.errors.DataError` naming the path and the expected files when
        something is missing or malformed.
        """

    def load_at(self, split: str, shape: tuple[int, ...]) -> Dataset:
        """``split`` at another sample shape (cross-resolution evaluation).

        The default resizes the batches of :meth:`load` with :meth:`resize` as they are read;
        modalities that read files override it to read the sources at that size.
        """
        data = self.load(split)
        if tuple(data.sample_shape) == tuple(shape):
            return data
        return ResizedDataset(data, tuple(shape), self.resize)

    def resize(self, x: torch.Tensor, shape: tuple[int, ...], mode: str | None = None) -> torch.Tensor:
        """Resample instances x (B, m, N...) to (B, *shape), shape = (m, N'...): real data and vanilla sets.

        ``mode`` is one of nearest, linear, bilinear, bicubic, trilinear, area, or None for the
        modality's choice. The default (:func:`ddif_core.shapes.resample`): 2-D bilinear,
        antialiased when shrinking; 1-D and 3-D area-weighted down and (tri)linear up. A mode that
        does not fit the dimensionality is a ConfigError. Override it for data whose axes differ
        (video: space only) or whose values need another rule (occupancy: area or max).
        """
        return resample(x, shape, mode)

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

    #: Formats :meth:`render` writes for ``purpose="export"`` (``ddif decode --format``), the first is the
    #: default; ``npy`` (one array per instance, written by the core) always exists besides these.
    export_formats: ClassVar[tuple[str, ...]] = ()

    def render(self, x: Any, y: torch.Tensor, out_dir: Path, purpose: str, fmt: str | None = None) -> list[Path]:
        """Write files for people into ``out_dir`` (an existing folder); returns their paths relative to it.

        :param x: (K, m, N...) decoded, normalised instances (:meth:`denormalize` undoes the
            normalisation); for ``"compare"`` a list of such tensors, the same instances at several shapes.
        :param y: (K,) labels.
        :param purpose: ``"preview"``: one overview of every class (e.g. ``preview.png``), written into the
            run directory; ``"per-class"``: one file per class (e.g. ``003_dress.png``), written into
            ``<run>/previews/``; ``"compare"``: the instances of ``x[j]`` side by side (``ddif decode
            --resolution``); ``"export"``: one file per instance, in instance order, in format ``fmt``
            (one of :attr:`export_formats`).
        :param fmt: the export format (``"export"`` only).

        The base class writes nothing and returns ``[]`` for every purpose (a modality that renders
        nothing); ``ddif decode`` then exports ``.npy`` arrays itself.
        """
        return []

    @property
    def class_names(self) -> list[str]:
        return list(self.info.class_names)
