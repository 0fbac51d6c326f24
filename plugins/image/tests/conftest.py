from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from ddif_image.idx import write_idx


def make_idx_root(root: Path, train_per_class: int = 6, test_per_class: int = 3, gz: bool = True) -> Path:
    """Tiny Fashion-MNIST-format folder: the four IDX files, images with a class-dependent bright bar."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", train_per_class), ("t10k", test_per_class)):
        labels = np.repeat(np.arange(10, dtype=np.uint8), n)
        images = rng.integers(0, 40, size=(labels.size, 28, 28), dtype=np.uint8)
        for i, c in enumerate(labels):
            images[i, 2 + 2 * c : 4 + 2 * c, 4:24] = 250
        suffix = ".gz" if gz else ""
        write_idx(root / f"{split}-images-idx3-ubyte{suffix}", images, gzip=gz)
        write_idx(root / f"{split}-labels-idx1-ubyte{suffix}", labels, gzip=gz)
    return root


def make_cifar10_root(root: Path, per_batch: int = 20) -> Path:
    """The official python layout: cifar-10-batches-py/data_batch_1..5, test_batch, batches.meta."""
    rng = np.random.default_rng(1)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = [int(v) for v in np.arange(per_batch) % 10]
        batch = {
            b"batch_label": name.encode(),
            b"labels": labels,
            b"data": rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8),
            b"filenames": [f"img_{i}.png".encode() for i in range(per_batch)],
        }
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": [b"airplane"] * 10, b"num_vis": 3072}, f, protocol=2)
    return root


@pytest.fixture
def idx_root(tmp_path: Path) -> Path:
    return make_idx_root(tmp_path / "fmnist")
