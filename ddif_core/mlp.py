"""A small MLP usable with any modality (flattened input): the core's own network."""

from __future__ import annotations

import math

import torch
from torch import nn


class MLP(nn.Module):
    """Flatten -> Linear(D, w) -> ReLU -> Linear(w, w) -> ReLU -> Linear(w, classes).

    :param sample_shape: (m, N_1, ..., N_n) of one instance.
    :param num_classes: output logits.
    :param width: hidden units.
    """

    def __init__(self, sample_shape: tuple[int, ...], num_classes: int, width: int = 128) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Flatten(),
            nn.Linear(math.prod(sample_shape), width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.ReLU(),
        )
        self.classifier = nn.Linear(width, num_classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, m, N...) -> (B, width) features."""
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, m, N...) -> (B, num_classes) logits."""
        return self.classifier(self.features(x))
