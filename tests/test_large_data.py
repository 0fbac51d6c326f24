"""A 3-D modality whose training set is larger than the memory its process may use distils and evaluates.

The toy volumes are written once into the core disk cache (uint8 memory maps) and read through an
``ArrayDataset``; the test runs ``ddif run`` in a subprocess whose data segment (RLIMIT_DATA: heap and
private anonymous memory, not the read-only file maps) is limited to less than the training set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch
from pydantic import Field

from ddif_core import ArrayDataset, DatasetInfo, Modality, StrictModel, cached_arrays, hookimpl

CLASSES = ("low", "middle", "high")
SHAPE = (1, 8, 16, 16)  # one channel, 8 x 16 x 16 voxels: 2,048 values


class VolumeOptions(StrictModel):
    train_per_class: int = Field(40, ge=1, description="Training volumes per class.")
    cache_dir: str | None = Field(None, description="Where the generated volumes are cached.")


class VolumeModality(Modality):
    """Three classes of 3-D volumes: a bright slab at one of three depths, plus noise (generated once)."""

    name = "toy-volume"
    Options = VolumeOptions
    default_dataset = "slabs"
    default_network = "mlp"

    @classmethod
    def datasets(cls) -> dict[str, DatasetInfo]:
        return {"slabs": DatasetInfo("slabs", SHAPE, CLASSES, "generated slabs", {1: (2, 4)})}

    def load(self, split: str) -> ArrayDataset:
        o: VolumeOptions = self.options  # type: ignore[assignment]
        per_class = o.train_per_class if split == "train" else 20
        n = per_class * len(CLASSES)

        def build(writer) -> None:
            x = writer.array("x", (n, *SHAPE), np.uint8)
            y = writer.array("y", (n,), np.int64)
            rng = np.random.default_rng(0 if split == "train" else 1)
            step = 4096
            for i0 in range(0, n, step):  # a few MB at a time: the whole split is never in memory
                i1 = min(n, i0 + step)
                labels = np.arange(i0, i1) // per_class
                block = rng.integers(0, 64, size=(i1 - i0, *SHAPE), dtype=np.uint8)
                for c in range(len(CLASSES)):
                    block[labels == c, :, 2 * c + 1 : 2 * c + 3] += 160
                x[i0:i1], y[i0:i1] = block, labels

        arrays = cached_arrays("toy-volumes", f"{split}-{n}", build, Path(o.cache_dir) if o.cache_dir else None)
        return ArrayDataset(arrays["x"], arrays["y"], list(CLASSES), transform=lambda t: t / 127.5 - 1.0)


@hookimpl
def register_modalities(register: Callable[[type], None]) -> None:
    register(VolumeModality)


CHILD = r"""
import json, resource, sys
import torch
sys.path.insert(0, sys.argv[1])
import test_large_data as t
from ddif_core import build_config, run
from ddif_core import testing
from ddif_core.plugins import Registry, load_plugins

def vm(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024

torch.ones(256, 256) @ torch.ones(256, 256)  # start torch's threads before measuring
registry = Registry(load_plugins(entry_points=[], extra=[(testing, "ddif-testing"), (t, "ddif-toy-volume")]))
limit = vm("VmData") + int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_DATA, (limit, resource.getrlimit(resource.RLIMIT_DATA)[1]))
try:  # the training set as float32 cannot be held under the limit
    torch.empty(int(sys.argv[4]), dtype=torch.float32).fill_(1.0)
    held = True
except (RuntimeError, MemoryError):
    held = False
config = build_config({"modality": "toy-volume", "loss": "dm", "out": sys.argv[2] + "/run", "device": "cpu"}, None,
                      ["modality.train_per_class=" + sys.argv[5], "modality.cache_dir=" + sys.argv[2] + "/cache",
                       "param.warmup_steps=20", "param.fields_per_class=2", "distill.iterations=3", "matcher.batch_real=16", "eval.runs=1",
                       "eval.epochs=2", "eval.net=mlp"])
result = run(config, quiet=True, registry=registry)
print("RESULT " + json.dumps({"held": held, "metrics": result.metrics, "limit_mb": int(sys.argv[3]) >> 20}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_DATA and /proc are Linux")
def test_training_set_larger_than_the_memory_limit_distils_and_evaluates(tmp_path):
    per_class = 36_000  # 108,000 volumes: 221 MB as uint8 on disk, 885 MB as float32
    headroom = 192 << 20  # what the child may allocate beyond its state after importing torch
    train_values = per_class * len(CLASSES) * int(np.prod(SHAPE))
    assert train_values > headroom  # even the uint8 file is larger than the limit
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(Path(__file__).parent), str(tmp_path), str(headroom),
         str(train_values), str(per_class)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(next(v for v in proc.stdout.splitlines() if v.startswith("RESULT ")).removeprefix("RESULT "))
    assert out["held"] is False  # the limit is real: the split cannot be loaded into memory
    m = out["metrics"]
    assert m["runs"] == 1 and 0 <= m["accuracy_mean"] <= 100 and m["num_decoded"] == 6
    x = np.load(tmp_path / "cache" / "toy-volumes" / f"train-{3 * per_class}" / "x.npy", mmap_mode="r")
    assert x.shape == (3 * per_class, *SHAPE) and x.dtype == np.uint8


def test_toy_volume_modality_meets_the_contract(tmp_path):
    from ddif_core.testing import check_modality

    check_modality(VolumeModality, VolumeOptions(cache_dir=str(tmp_path)))
    data = VolumeModality(VolumeOptions(cache_dir=str(tmp_path))).load("train")
    x = data.get(torch.tensor([0, 40, 80]))
    assert x.dtype == torch.float32 and x.shape == (3, *SHAPE)
    assert data.labels[[0, 40, 80]].tolist() == [0, 1, 2]
