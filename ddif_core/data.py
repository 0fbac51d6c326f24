"""Datasets (in memory or larger than memory) and the per-class sampler the matchers draw real batches from.

A modality's ``load(split)`` returns any :class:`Dataset`: :class:`LabelledData` holds the split as one
tensor, :class:`ArrayDataset` reads rows of a numpy array (a read-only memory map from
:mod:`ddif_core.cache` for data larger than memory) and converts only the rows asked for. Everything
downstream (warm-up, matchers, experts, evaluation) fetches batches with ``get(indices)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from ddif_core.errors import DataError


class Dataset(ABC):
    """One split of a labelled dataset, read batch by batch.

    Subclasses provide ``labels`` ((N,) int64 tensor), ``class_names`` and ``sample_shape``
    ((m, N_1, ..., N_n) of one instance) and :meth:`get`.
    """

    labels: torch.Tensor
    class_names: list[str]

    @property
    @abstractmethod
    def sample_shape(self) -> tuple[int, ...]:
        """(m, N_1, ..., N_n) of one instance."""

    @abstractmethod
    def get(self, indices: torch.Tensor) -> torch.Tensor:
        """Instances ``indices`` ((b,) LongTensor) as normalised float32 (b, m, N_1, ..., N_n), in that order."""

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def nbytes(self) -> int:
        """Bytes the split takes as float32 (what holding all of it in memory would cost)."""
        return len(self) * int(np.prod(self.sample_shape)) * 4

    def batches(self, batch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The whole split in order, ``batch`` instances at a time: (x (b, m, ...), y (b,))."""
        for start in range(0, len(self), batch):
            idx = torch.arange(start, min(start + batch, len(self)))
            yield self.get(idx), self.labels[idx]


@dataclass
class LabelledData(Dataset):
    """One split held in memory, already normalised.

    :param x: (N, m, N_1, ..., N_n) float32 instances.
    :param y: (N,) int64 labels in [0, num_classes).
    :param class_names: names of the classes, index = label.
    """

    x: torch.Tensor
    y: torch.Tensor
    class_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.x.shape[0] != self.y.shape[0]:
            raise ValueError(f"{self.x.shape[0]} instances but {self.y.shape[0]} labels")

    @property
    def labels(self) -> torch.Tensor:  # type: ignore[override]
        return self.y

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    def get(self, indices: torch.Tensor) -> torch.Tensor:
        return self.x[indices.to(self.x.device)]

    def to(self, device: torch.device | str) -> "LabelledData":
        return LabelledData(self.x.to(device), self.y.to(device), self.class_names)


class ArrayDataset(Dataset):
    """A split stored as a numpy array of any dtype (typically a read-only memory map), converted per batch.

    :param array: (N, m, N_1, ..., N_n), e.g. uint8 pixels or float16 values on disk.
    :param labels: (N,) integer labels (numpy or torch).
    :param class_names: names of the classes, index = label.
    :param transform: applied to every fetched float32 batch (b, m, ...), e.g. ``x / 255`` and a
        normalisation; None keeps the values as stored.
    """

    def __init__(self, array: np.ndarray, labels: np.ndarray | torch.Tensor, class_names: list[str],
                 transform: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        if array.ndim < 3:
            raise ValueError(f"array must be (N, m, N_1, ...), got shape {array.shape}")
        self.array = array
        # a copy (labels are small), never a view of a read-only memory map
        self.labels = (labels.detach().to(torch.int64).clone() if torch.is_tensor(labels)
                       else torch.from_numpy(np.array(labels, dtype=np.int64))).reshape(-1)
        if self.labels.shape[0] != array.shape[0]:
            raise ValueError(f"{array.shape[0]} instances but {self.labels.shape[0]} labels")
        self.class_names = list(class_names)
        self.transform = transform

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.array.shape[1:])

    def get(self, indices: torch.Tensor) -> torch.Tensor:
        idx = indices.reshape(-1).cpu().numpy()
        order = np.argsort(idx, kind="stable")  # read the rows front to back (a memory map pages in order)
        rows = np.empty((idx.size, *self.array.shape[1:]), dtype=np.float32)
        rows[order] = self.array[idx[order]]
        x = torch.from_numpy(rows)
        return self.transform(x) if self.transform is not None else x


class ResizedDataset(Dataset):
    """Another dataset resized batch by batch (``Modality.load_at``'s default; nothing is held).

    :param resize: ``resize(x, shape) -> x'`` for batches (b, m, N...) -> (b, *shape).
    """

    def __init__(self, base: Dataset, shape: tuple[int, ...],
                 resize: Callable[[torch.Tensor, tuple[int, ...]], torch.Tensor]) -> None:
        self.base, self.shape, self.resize = base, tuple(int(s) for s in shape), resize
        self.labels, self.class_names = base.labels, base.class_names

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return self.shape

    def get(self, indices: torch.Tensor) -> torch.Tensor:
        return self.resize(self.base.get(indices), self.shape)


class ClassBank:
    """A training split grouped by class, for batched per-class sampling, without copying it.

    The bank keeps the dataset and a class-sorted order of its indices; positions into that order
    (what :meth:`sample_indices` returns) are turned into instances with :meth:`get`.

    :param data: any :class:`Dataset` split.
    :param order: optional (N',) dataset indices to use (a subset); sorted by class here.
    """

    def __init__(self, data: Dataset, order: torch.Tensor | None = None) -> None:
        c = data.num_classes
        labels = data.labels.cpu()
        order = torch.arange(labels.shape[0]) if order is None else order.cpu()
        order = order[torch.argsort(labels[order], stable=True)]
        self.dataset = data
        self.order = order  # (N,) dataset index of every class-sorted position
        self.y = labels[order]  # (N,) class-sorted labels
        self.num_classes = c
        self.class_names = data.class_names
        self.counts = torch.bincount(self.y, minlength=c)  # (C,)
        missing = [data.class_names[i] for i in range(c) if int(self.counts[i]) == 0]
        if missing:
            raise DataError(f"the training split has no instance of class(es) {', '.join(missing)}")
        self.offsets = torch.cumsum(self.counts, 0) - self.counts  # (C,) first position of each class

    def __len__(self) -> int:
        return int(self.order.shape[0])

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.dataset.sample_shape)

    def get(self, positions: torch.Tensor) -> torch.Tensor:
        """Instances at class-sorted ``positions`` (any shape, read flat): (positions.numel(), m, ...)."""
        return self.dataset.get(self.order[positions.reshape(-1).cpu()])

    def sample_indices(self, per_class: int, generator: torch.Generator) -> torch.Tensor:
        """``per_class`` distinct random positions from every class, drawn in one batched op.

        :returns: (C, b) LongTensor of class-sorted positions (for :meth:`get`) with
            b = min(per_class, smallest class), class c in row c.
        """
        b = min(per_class, int(self.counts.min()))
        width = int(self.counts.max())
        keys = torch.rand(self.num_classes, width, generator=generator)
        keys[torch.arange(width) >= self.counts[:, None]] = 2.0  # padding never wins
        pos = torch.topk(keys, b, dim=1, largest=False).indices  # (C, b) distinct positions per class
        return pos + self.offsets[:, None]

    def sample(self, per_class: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """A real batch of ``per_class`` instances of every class, class-major.

        :returns: x (C*b, m, ...) and y (C*b,).
        """
        idx = self.sample_indices(per_class, generator).reshape(-1)
        return self.get(idx), self.y[idx]

    def subset(self, per_class: int, generator: torch.Generator) -> "ClassBank":
        """A random class-balanced subset of up to ``per_class`` instances per class (indices only)."""
        idx = self.sample_indices(per_class, generator).reshape(-1)
        return ClassBank(self.dataset, self.order[idx])

    def pick_indices(self, per_class: int, generator: torch.Generator) -> torch.Tensor:
        """Exactly ``per_class`` positions per class (distinct while the class has enough): (C*per_class,)."""
        idx = self.sample_indices(per_class, generator)  # (C, b), b <= per_class
        if idx.shape[1] < per_class:
            extra = torch.randint(0, idx.shape[1], (self.num_classes, per_class - idx.shape[1]), generator=generator)
            idx = torch.cat([idx, idx.gather(1, extra)], dim=1)
        return idx.reshape(-1)

    def pick(self, per_class: int, generator: torch.Generator) -> torch.Tensor:
        """Exactly ``per_class`` real instances per class (distinct while the class has enough).

        :returns: (C*per_class, m, ...) class-major, e.g. the warm-up targets of the fields.
        """
        return self.get(self.pick_indices(per_class, generator))
