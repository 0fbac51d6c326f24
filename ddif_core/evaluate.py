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

from ddif_core.config import EvalSection
from ddif_core.data import Dataset
from ddif_core.modality import Modality
from ddif_core.training import SGDSchedule, tensor_fetch, train_sgd


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


def eval_schedule(opts: EvalSection) -> SGDSchedule:
    """The evaluation protocol as an :class:`~ddif_core.training.SGDSchedule`."""
    return SGDSchedule(
        epochs=opts.epochs, lr=opts.lr, batch_size=opts.batch_size, momentum=opts.momentum,
        weight_decay=opts.weight_decay, augment=opts.augment, micro_batch=opts.micro_batch,
        milestones=tuple(opts.milestone_epochs()), gamma=opts.lr_gamma,
    )


def train_network(
    net: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    opts: EvalSection,
    modality: Modality,
    generator: torch.Generator,
    on_epoch: Callable[[int], None] | None = None,
) -> torch.nn.Module:
    """Train ``net`` on x (N, m, ...) / y (N,) in place with the evaluation protocol (the shared SGD loop)."""
    return train_sgd(net, tensor_fetch(x, y), x.shape[0], eval_schedule(opts), modality, generator, on_epoch)


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
