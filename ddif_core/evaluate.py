"""Evaluation: train freshly initialised networks on a (decoded) synthetic set, score the real test set.

Protocol of the dataset-distillation literature: SGD with momentum, weight decay, learning rate x0.1
at half of the epochs (``eval.lr_gamma`` at ``eval.lr_milestones``), the modality's augmentation
during training, and the accuracy after the final epoch (never the best epoch on the test set), reported as mean and standard deviation over
independently initialised networks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from ddif_core.config import EvalSection
from ddif_core.data import Dataset
from ddif_core.modality import Modality


@dataclass
class EvalResult:
    """Final-epoch test accuracies (in %) of ``runs`` networks."""

    accuracies: list[float]
    net: str
    epochs: int
    train_size: int
    seconds: float

    @property
    def mean(self) -> float:
        return sum(self.accuracies) / len(self.accuracies) if self.accuracies else float("nan")

    @property
    def std(self) -> float:
        """Population standard deviation (numpy's default), as the literature reports it."""
        if not self.accuracies:
            return float("nan")
        mu = self.mean
        return math.sqrt(sum((a - mu) ** 2 for a in self.accuracies) / len(self.accuracies))

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d.update(accuracy_mean=self.mean, accuracy_std=self.std, runs=len(self.accuracies))
        return d


def train_network(
    net: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    opts: EvalSection,
    modality: Modality,
    generator: torch.Generator,
    on_epoch: Callable[[int], None] | None = None,
) -> torch.nn.Module:
    """Train ``net`` on x (N, m, ...) / y (N,) in place with the evaluation protocol.

    Each batch is split into micro-batches whose gradients are summed, which equals one step on the
    whole batch (the networks use per-sample normalisation) but stays cache-sized on a CPU.
    """
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=opts.lr, momentum=opts.momentum, weight_decay=opts.weight_decay)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=opts.milestone_epochs(), gamma=opts.lr_gamma)
    n = x.shape[0]
    for epoch in range(opts.epochs):
        perm = torch.randperm(n, generator=generator).to(x.device)
        for start in range(0, n, opts.batch_size):
            idx = perm[start : start + opts.batch_size]
            xb, yb = x[idx], y[idx]
            if opts.augment:
                xb = modality.augment(xb, modality.sample_augmentation(xb.shape[0], generator))
            opt.zero_grad(set_to_none=True)
            for xc, yc in zip(xb.split(opts.micro_batch), yb.split(opts.micro_batch)):
                loss = F.cross_entropy(net(xc), yc, reduction="sum") / xb.shape[0]
                loss.backward()
            opt.step()
        sched.step()
        if on_epoch is not None:
            on_epoch(epoch)
    return net


@torch.no_grad()
def test_accuracy(net: torch.nn.Module, test: Dataset, batch: int, device: torch.device) -> float:
    """Top-1 accuracy in % of ``net`` on ``test``, streamed ``batch`` instances at a time."""
    net.eval()
    correct = 0
    for xb, yb in test.batches(batch):
        correct += int((net(xb.to(device)).argmax(dim=1) == yb.to(device)).sum())
    return 100.0 * correct / max(1, len(test))


def evaluate(
    x: torch.Tensor,
    y: torch.Tensor,
    test: Dataset,
    build_network: Callable[[], torch.nn.Module],
    opts: EvalSection,
    modality: Modality,
    seed: int,
    device: torch.device,
    net_name: str,
    progress: Callable[[int, int], None] | None = None,
) -> EvalResult:
    """Train ``opts.runs`` fresh networks on x (K, m, ...) / y (K,) and score each on ``test``.

    Run r initialises its network with seed ``seed * 1000 + r`` and shuffles/augments with its own
    generator, so results are reproducible and runs are independent.
    """
    t0 = time.perf_counter()
    x, y = x.detach().to(device), y.to(device)
    accs: list[float] = []
    total = opts.runs * opts.epochs
    for r in range(opts.runs):
        torch.manual_seed(seed * 1000 + r)
        net = build_network().to(device)
        gen = torch.Generator().manual_seed(seed * 1000 + r)
        done = r * opts.epochs
        cb = (lambda e, done=done: progress(done + e + 1, total)) if progress else None
        train_network(net, x, y, opts, modality, gen, on_epoch=cb)
        accs.append(test_accuracy(net, test, opts.test_batch, device))
    return EvalResult(accs, net_name, opts.epochs, int(x.shape[0]), time.perf_counter() - t0)
