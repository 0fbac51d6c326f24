"""Named run presets of the image modality (``ddif run --modality image --preset NAME``).

``param`` and ``matcher`` settings are given per part name, so ``--param vanilla`` or another
``--loss`` can reuse a preset (the settings of parts not chosen are left out).
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    # Sized to finish `make demo` within 15 minutes on a 2-core CPU (figures in benchmarks/RESULTS.md).
    # Field lr 3e-3 was the best of 1e-4 / 3e-4 / 1e-3 / 3e-3 at 100 iterations; pixels (vanilla) take 1e-2.
    "demo": {
        "run": {"dataset": "fashion-mnist", "ipc": 1, "loss": "dm", "param": "ddif"},
        "param": {"ddif": {"warmup_steps": 5000, "warmup_lr": 5e-4}, "vanilla": {"lr": 1e-2}},
        "matcher": {"dm": {"batch_real": 64}},
        "distill": {"iterations": 100, "lr": 3e-3, "checkpoint_every": 25},
        "eval": {"runs": 3, "epochs": 300},
    },
    # The paper-scale protocol on Fashion-MNIST (a GPU, or a long CPU run).
    "fashion-mnist": {
        "run": {"dataset": "fashion-mnist", "ipc": 1, "loss": "dm", "param": "ddif"},
        "param": {"ddif": {"warmup_steps": 5000, "warmup_lr": 5e-4}, "vanilla": {"lr": 1e-2}},
        "matcher": {"dm": {"batch_real": 256}},
        "distill": {"iterations": 20000, "lr": 1e-3, "checkpoint_every": 500},
        "eval": {"runs": 5, "epochs": 1000},
    },
}
