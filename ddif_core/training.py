"""The one SGD training loop of ddif: evaluation networks, expert trajectories and DC's inner loop.

Each epoch visits every instance once in an order drawn from ``generator``, in batches of
``batch_size``; each batch is optionally augmented with the modality's per-sample augmentation and
split into micro-batches whose gradients are summed (one step on the whole batch, cache-sized on a
CPU). The learning rate is multiplied by ``gamma`` at each milestone epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ddif_core.modality import Modality

#: ``fetch(indices) -> (x (b, m, N...), y (b,))`` on the training device.
Fetch = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class SGDSchedule:
    """Settings of one SGD training run.

    :param milestones: epochs (0-based counts of finished epochs) after which the lr is scaled by ``gamma``.
    :param micro_batch: gradient-accumulation chunk; None trains each batch in one pass.
    """

    epochs: int
    lr: float
    batch_size: int
    momentum: float = 0.0
    weight_decay: float = 0.0
    augment: bool = False
    micro_batch: int | None = None
    milestones: Sequence[int] = ()
    gamma: float = 0.1


def tensor_fetch(x: torch.Tensor, y: torch.Tensor) -> Fetch:
    """A :data:`Fetch` over in-memory tensors x (N, m, N...) and y (N,)."""
    def fetch(idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        idx = idx.to(x.device)
        return x[idx], y[idx]
    return fetch


def train_sgd(
    net: torch.nn.Module,
    fetch: Fetch,
    num_items: int,
    schedule: SGDSchedule,
    modality: Modality,
    generator: torch.Generator,
    on_epoch: Callable[[int], None] | None = None,
) -> torch.nn.Module:
    """Train ``net`` in place for ``schedule.epochs`` epochs over ``num_items`` instances.

    :param fetch: gives the batch of the given indices (in [0, num_items)).
    :param generator: draws the epoch orders and the augmentation, so a run is reproducible.
    :param on_epoch: called with the epoch index after each epoch (progress, trajectory snapshots).
    """
    net.train()
    s = schedule
    opt = torch.optim.SGD(net.parameters(), lr=s.lr, momentum=s.momentum, weight_decay=s.weight_decay)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=list(s.milestones), gamma=s.gamma)
    for epoch in range(s.epochs):
        perm = torch.randperm(num_items, generator=generator)
        for start in range(0, num_items, s.batch_size):
            xb, yb = fetch(perm[start : start + s.batch_size])
            if s.augment:
                xb = modality.augment(xb, modality.sample_augmentation(xb.shape[0], generator))
            opt.zero_grad(set_to_none=True)
            chunk = s.micro_batch or xb.shape[0]
            for xc, yc in zip(xb.split(chunk), yb.split(chunk)):
                (F.cross_entropy(net(xc), yc, reduction="sum") / xb.shape[0]).backward()
            opt.step()
        sched.step()
        if on_epoch is not None:
            on_epoch(epoch)
    return net
