"""Storage-budget arithmetic of DDiF (the paper's Section 3 and Table 8).

The budget of a run is ``ipc x (values in one real instance) x classes``; a SIREN field with
``layers`` sine layers of ``width`` units from R^n to R^m costs
``width*(n+1) + (layers-1)*width*(width+1) + m*(width+1)`` parameters, and each class receives as
many fields as fit in its share of the budget.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass


def params_per_field(in_features: int, layers: int, width: int, out_features: int) -> int:
    """Parameters of one SIREN field: d(n+1) + (L-1)d(d+1) + m(d+1)."""
    if layers < 1 or width < 1 or in_features < 1 or out_features < 1:
        raise ValueError("a field needs layers, width, in_features and out_features of at least 1")
    return (
        width * (in_features + 1)
        + (layers - 1) * width * (width + 1)
        + out_features * (width + 1)
    )


def values_per_instance(sample_shape: Sequence[int]) -> int:
    """D = m x N_1 x ... x N_n for a sample shape (m, N_1, ..., N_n)."""
    return math.prod(int(s) for s in sample_shape)


def items_per_class(ipc: int, sample_shape: Sequence[int], params_per_item: int) -> int:
    """floor(ipc x D / b): how many stored items of ``params_per_item`` fit in one class's budget."""
    return (ipc * values_per_instance(sample_shape)) // params_per_item


def plan_field(sample_shape: Sequence[int], ipc: int) -> tuple[int, int]:
    """Propose (layers, width) for a dataset that has no Table-8 row.

    Follows the pattern of the paper's Table 8: two sine layers for instances of up to 32x32 points
    per channel, three above that; the width is the largest whose field leaves about 37 fields per
    real instance at IPC <= 10 (the paper's ratio for CIFAR-10 and ImageNet at IPC 1/10) and about
    6 at larger IPC, and never below 2.
    """
    m, spatial = int(sample_shape[0]), [int(s) for s in sample_shape[1:]]
    n = len(spatial)
    layers = 2 if math.prod(spatial) <= 32 * 32 else 3
    ratio = 37 if ipc <= 10 else 6
    target = values_per_instance(sample_shape) / ratio
    width = 2
    while params_per_field(n, layers, width + 1, m) <= target:
        width += 1
    return layers, width


@dataclass(frozen=True)
class BudgetReport:
    """What a run may store and what its parameterization uses of it."""

    parameterization: str
    sample_shape: tuple[int, ...]
    num_classes: int
    ipc: int
    values_per_instance: int
    params_per_field: int
    fields_per_class: int
    total_fields: int
    total_budget: int
    budget_used: int
    layers: int | None = None
    width: int | None = None

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["sample_shape"] = list(self.sample_shape)
        d["budget_allowed"] = self.total_budget
        d["decoded_per_class_vs_ipc"] = round(self.fields_per_class / self.ipc, 2)
        return d
