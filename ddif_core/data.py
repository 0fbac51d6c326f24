"""Labelled tensors and the per-class sampler the matchers draw real batches from."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ddif_core.errors import DataError


@dataclass
class LabelledData:
    """One split of a dataset, already normalised.

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
    def num_classes(self) -> int:
        return len(self.class_names)

    def to(self, device: torch.device | str) -> "LabelledData":
        return LabelledData(self.x.to(device), self.y.to(device), self.class_names)


class ClassBank:
    """Real instances grouped by class, for batched per-class sampling.

    :param data: a :class:`LabelledData` split; instances are reordered so each class is contiguous.
    """

    def __init__(self, data: LabelledData) -> None:
        c = data.num_classes
        order = torch.argsort(data.y, stable=True)
        self.x = data.x[order]  # (N, m, ...) sorted by class
        self.y = data.y[order]
        self.num_classes = c
        self.class_names = data.class_names
        self.counts = torch.bincount(self.y.cpu(), minlength=c)  # (C,)
        missing = [data.class_names[i] for i in range(c) if int(self.counts[i]) == 0]
        if missing:
            raise DataError(f"the training split has no instance of class(es) {', '.join(missing)}")
        self.offsets = torch.cumsum(self.counts, 0) - self.counts  # (C,) first index of each class

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    def sample_indices(self, per_class: int, generator: torch.Generator) -> torch.Tensor:
        """``per_class`` distinct random indices from every class, drawn in one batched op.

        :returns: (C, b) LongTensor of row indices into ``self.x`` with b = min(per_class, smallest
            class), class c in row c.
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
        idx = self.sample_indices(per_class, generator).reshape(-1).to(self.x.device)
        return self.x[idx], self.y[idx]

    def subset(self, per_class: int, generator: torch.Generator) -> "ClassBank":
        """A random class-balanced subset of up to ``per_class`` instances per class."""
        idx = self.sample_indices(per_class, generator).reshape(-1).to(self.x.device)
        return ClassBank(LabelledData(self.x[idx], self.y[idx], self.class_names))

    def pick(self, per_class: int, generator: torch.Generator) -> torch.Tensor:
        """Exactly ``per_class`` real instances per class (distinct while the class has enough).

        :returns: (C*per_class, m, ...) class-major, e.g. the warm-up targets of the fields.
        """
        idx = self.sample_indices(per_class, generator)  # (C, b), b <= per_class
        if idx.shape[1] < per_class:
            extra = torch.randint(0, idx.shape[1], (self.num_classes, per_class - idx.shape[1]), generator=generator)
            idx = torch.cat([idx, idx.gather(1, extra)], dim=1)
        return self.x[idx.reshape(-1).to(self.x.device)]
