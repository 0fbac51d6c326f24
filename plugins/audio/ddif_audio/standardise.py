"""One scalar mean and standard deviation of the training spectrograms (IDC's normalisation).

Kept in the modality's ``state()``, so a saved run is evaluated and decoded with the statistics it was
distilled with, even when the data on disk changed since.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Standardisation:
    """x -> (x - mean) / std with scalars."""

    mean: float
    std: float

    @classmethod
    def fit(cls, array: np.ndarray, chunk: int = 4096) -> "Standardisation":
        """Fit on (N, ...) values (a memory map is read in chunks, in float64)."""
        if array.shape[0] == 0:
            raise ValueError("cannot fit a standardisation on no data")
        total, square, count = 0.0, 0.0, 0
        for start in range(0, array.shape[0], chunk):
            part = np.asarray(array[start:start + chunk], dtype=np.float64)
            total += float(part.sum())
            square += float(np.square(part).sum())
            count += part.size
        mean = total / count
        std = max(square / count - mean * mean, 0.0) ** 0.5
        return cls(mean, std if std > 1e-8 else 1.0)

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def undo(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.std + self.mean

    def state(self) -> dict[str, torch.Tensor]:
        return {"spec_mean": torch.tensor([self.mean], dtype=torch.float64),
                "spec_std": torch.tensor([self.std], dtype=torch.float64)}

    @classmethod
    def from_state(cls, tensors: dict[str, torch.Tensor]) -> "Standardisation | None":
        if "spec_mean" not in tensors or "spec_std" not in tensors:
            return None
        return cls(float(tensors["spec_mean"].reshape(-1)[0]), float(tensors["spec_std"].reshape(-1)[0]))
