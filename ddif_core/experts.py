"""Expert trajectories for trajectory matching: networks trained on the real data, one parameter
snapshot per epoch, cached on disk by everything that shapes them.

Layout: ``<cache>/experts/<key>/expert_<i>.safetensors`` holding ``trajectory`` (epochs + 1, P)
float32 (snapshot 0 is the initialisation) and a JSON header with the key's ingredients. Each file
is written atomically when its expert is complete, so an interrupted build resumes where it stopped
and two processes building the same cache never see half a file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from ddif_core import artifact
from ddif_core.data import ClassBank
from ddif_core.modality import Modality
from ddif_core.training import Fetch, SGDSchedule, train_sgd


@dataclass(frozen=True)
class ExpertSpec:
    """Everything that determines an expert trajectory (the cache key)."""

    modality: str
    dataset: str
    modality_options: dict[str, Any]
    net: str
    sample_shape: tuple[int, ...]
    num_train: int
    epochs: int
    lr: float
    batch_size: int
    augment: bool
    seed: int
    net_options: dict[str, Any] = field(default_factory=dict)  # the run's [net] section

    def key(self) -> str:
        """Hash of everything but ``epochs``: a longer trajectory serves a run that needs fewer epochs."""
        fields = {k: v for k, v in asdict(self).items() if k != "epochs"}
        blob = json.dumps(fields, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def flat_params(net: torch.nn.Module) -> torch.Tensor:
    """(P,) concatenation of the network's parameters, in ``named_parameters`` order."""
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()])


def train_experts(
    spec: ExpertSpec,
    num_experts: int,
    real: ClassBank,
    modality: Modality,
    build_network: Callable[[], torch.nn.Module],
    cache_dir: Path,
    device: torch.device,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Make sure ``num_experts`` trajectories of ``spec`` exist in the cache; return their files.

    Expert i initialises its network from seed ``spec.seed * 1000 + i`` and trains with plain SGD
    (momentum 0, no weight decay, as the trajectory-matching code bases do) and the modality's
    augmentation, recording the parameters after every epoch.
    """
    folder = Path(cache_dir) / "experts" / spec.key()
    files = [folder / f"expert_{i}.safetensors" for i in range(num_experts)]
    n = len(real)
    schedule = SGDSchedule(epochs=spec.epochs, lr=spec.lr, batch_size=spec.batch_size, augment=spec.augment)
    total = num_experts * spec.epochs
    for i, path in enumerate(files):
        if path.exists() and _epochs_in(path) >= spec.epochs:
            if progress:
                progress((i + 1) * spec.epochs, total)
            continue
        torch.manual_seed(spec.seed * 1000 + i)
        net = build_network().to(device)
        snapshots = [flat_params(net).cpu()]

        def on_epoch(epoch: int, i: int = i, net: torch.nn.Module = net, snapshots: list = snapshots) -> None:
            snapshots.append(flat_params(net).cpu())
            if progress:
                progress(i * spec.epochs + epoch + 1, total)

        gen = torch.Generator().manual_seed(spec.seed * 1000 + i)
        train_sgd(net, real_fetch(real, device), n, schedule, modality, gen, on_epoch)
        meta = {"format": "ddif-expert/1", "spec": asdict(spec), "index": i}
        artifact.write_safetensors(path, {"trajectory": torch.stack(snapshots)}, meta)
    return files


def real_fetch(real: ClassBank, device: torch.device) -> Fetch:
    """A :data:`~ddif_core.training.Fetch` of real training instances onto ``device``."""
    def fetch(idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return real.get(idx).to(device), real.y[idx].to(device)
    return fetch


def _epochs_in(path: Path) -> int:
    try:
        _, meta = artifact.read_safetensors(path, "expert trajectory")
        return int(meta["spec"]["epochs"])
    except Exception:  # unreadable or foreign file: train this expert again
        return -1


def load_trajectories(files: list[Path], epochs: int | None = None) -> list[torch.Tensor]:
    """Each file's trajectory, (epochs + 1, P), truncated to ``epochs`` when given."""
    out = []
    for f in files:
        traj = artifact.read_safetensors(f, "expert trajectory")[0]["trajectory"]
        out.append(traj if epochs is None else traj[: epochs + 1])
    return out
