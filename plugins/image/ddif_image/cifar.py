"""CIFAR-10 / CIFAR-100 from the official python pickle batches, read with a restricted unpickler.

The batches are pickles written by Python 2 and numpy; pickles can run arbitrary code, so only the
few globals those files contain are allowed (numpy's array reconstruction and dtype, and the codecs
helper Python 3 uses for byte strings). Anything else raises an error naming the file.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from ddif_core import DataError

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}

CIFAR10_DIR, CIFAR100_DIR = "cifar-10-batches-py", "cifar-100-python"
CIFAR10_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed in a CIFAR batch")


def read_batch(path: Path) -> dict[str, Any]:
    """Read one CIFAR batch file into a dict with str keys (values as stored)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"CIFAR batch {path} does not exist") from None
    except OSError as exc:
        raise DataError(f"CIFAR batch {path} cannot be read: {exc.strerror}") from None
    try:
        obj = _RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as exc:
        raise DataError(f"{path} is not a CIFAR python batch ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, dict):
        raise DataError(f"{path} is not a CIFAR python batch (expected a dict, found {type(obj).__name__})")
    return {(k.decode("latin1") if isinstance(k, bytes) else str(k)): v for k, v in obj.items()}


def _images_labels(batch: dict[str, Any], label_key: str, path: Path) -> tuple[np.ndarray, np.ndarray]:
    data, labels = batch.get("data"), batch.get(label_key)
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3072 or data.dtype != np.uint8:
        raise DataError(f"{path}: 'data' must be a uint8 array of shape (N, 3072)")
    labels_arr = _integer_labels(labels, label_key, path)
    if labels_arr.shape != (data.shape[0],):
        raise DataError(f"{path}: {data.shape[0]} images but {labels_arr.size} '{label_key}' entries")
    return data.reshape(-1, 3, 32, 32), labels_arr


def _integer_labels(labels: Any, key: str, path: Path) -> np.ndarray:
    """The '{key}' entry as (N,) int64, or a DataError naming the first value that is not a small integer."""
    if isinstance(labels, np.ndarray):
        if labels.dtype.kind not in "iu" or labels.ndim != 1:
            raise DataError(f"{path}: '{key}' must be a list of integers, found a {labels.dtype} array of shape "
                            f"{labels.shape}")
        if labels.dtype == np.uint64 and labels.size and int(labels.max()) > 2**62:
            raise DataError(f"{path}: '{key}' holds {int(labels.max())}, not a class index")
        return labels.astype(np.int64)
    if not isinstance(labels, (list, tuple)):
        raise DataError(f"{path}: '{key}' must be a list of integers, found {type(labels).__name__}")
    for i, v in enumerate(labels):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise DataError(f"{path}: '{key}' must be a list of integers, but entry {i} is {type(v).__name__} {v!r:.40}")
        if not -(2**62) <= int(v) <= 2**62:
            raise DataError(f"{path}: '{key}' entry {i} is {int(v)}, not a class index")
    return np.asarray(labels, dtype=np.int64).reshape(-1)


def read_cifar(root: Path, dataset: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 3, 32, 32) uint8 and labels (N,) of ``cifar10`` or ``cifar100``.

    ``root`` may be the batch folder itself or its parent.
    """
    folder_name = CIFAR10_DIR if dataset == "cifar10" else CIFAR100_DIR
    folder = root / folder_name if (root / folder_name).is_dir() else root
    if dataset == "cifar10":
        files, key = (CIFAR10_TRAIN if split == "train" else ["test_batch"]), "labels"
    else:
        files, key = (["train"] if split == "train" else ["test"]), "fine_labels"
    missing = [f for f in files if not (folder / f).is_file()]
    if missing:
        raise DataError(
            f"{folder} lacks the {dataset} batch file(s) {', '.join(missing)}; expected the official python "
            f"version ({folder_name}/ with {', '.join(files)})"
        )
    parts = [_images_labels(read_batch(folder / f), key, folder / f) for f in files]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    classes = 10 if dataset == "cifar10" else 100
    if y.size and (y.min() < 0 or y.max() >= classes):
        raise DataError(f"{folder}: labels must be in [0, {classes}), found {int(y.min())}..{int(y.max())}")
    return x, y
