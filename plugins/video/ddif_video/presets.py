"""Named run presets of the video modality (``ddif run --modality video --preset NAME``).

``param`` and ``matcher`` settings are given per part name, so ``--param vanilla`` or another
``--loss`` can reuse a preset (the settings of parts not chosen are left out).
"""

from __future__ import annotations

from typing import Any

#: Table 8's video field (n=3, L=6, d=40: 8,483 parameters) with the authors' video frequencies (w0 = 5).
_FIELD = {"layers": 6, "width": 40, "w0": 5.0, "w0_first": 5.0, "warmup_steps": 5000, "warmup_lr": 5e-4}


def _miniucf(fields_per_class: int) -> dict[str, Any]:
    """The paper's MiniUCF DM setting: a fixed number of decoded clips per class (1.4% of the IPC-1 budget
    for one), DM for 5,000 iterations at field lr 1e-4 (Table 9b) with real batches of 64 per class,
    evaluation by SGD 0.01 / momentum 0.9 / wd 5e-4 for 500 epochs (x0.1 at half), batch 256."""
    return {
        "run": {"dataset": "miniucf", "ipc": 1, "loss": "dm", "param": "ddif"},
        "param": {"ddif": {**_FIELD, "fields_per_class": fields_per_class}},
        "matcher": {"dm": {"batch_real": 64, "augment": False}},
        "distill": {"iterations": 5000, "lr": 1e-4, "checkpoint_every": 500},
        "eval": {"runs": 5, "epochs": 500, "lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4, "batch_size": 256,
                 "augment": False},
    }


PRESETS: dict[str, dict[str, Any]] = {
    "miniucf-ipc1-dm": _miniucf(1),
    "miniucf-ipc5-dm": _miniucf(5),
    # Seconds on a CPU: 8 frames of 32x32, a small field; for tests and for trying the pipeline.
    "tiny": {
        "run": {"ipc": 1, "loss": "dm", "param": "ddif"},
        "modality": {"frames": 8, "size": 32, "shapes_classes": 4, "shapes_per_class": 6},
        "param": {"ddif": {"layers": 3, "width": 16, "w0": 5.0, "w0_first": 5.0, "fields_per_class": 2,
                           "warmup_steps": 20}},
        "matcher": {"dm": {"batch_real": 4, "augment": False}},
        "distill": {"iterations": 2, "lr": 1e-3, "checkpoint_every": 1},
        "eval": {"runs": 1, "epochs": 2, "batch_size": 32, "augment": False},
    },
    # Moving shapes on a 2-core CPU: 10 motion classes, 8 frames 8 apart of 32x32, 3 fields per class of 983
    # parameters (L=3, d=20) in the IPC-1 budget, ConvNet3D at width 16 (16, 32, 32 filters) for distillation
    # and evaluation. Evaluation trains 300 epochs: at 60 (the earlier preset) ConvNet3D had not left chance even
    # on the full training set. Timings: benchmarks/RESULTS.md ("Video").
    "demo": {
        "run": {"dataset": "moving-shapes", "ipc": 1, "loss": "dm", "param": "ddif"},
        "modality": {"frames": 8, "step": 8, "size": 32, "shapes_classes": 10, "shapes_per_class": 25},
        "net": {"width": 16},
        "param": {"ddif": {"layers": 3, "width": 20, "w0": 5.0, "w0_first": 5.0, "fields_per_class": 3,
                           "warmup_steps": 300}},
        "matcher": {"dm": {"batch_real": 16, "augment": False}},
        "distill": {"iterations": 100, "lr": 1e-3, "checkpoint_every": 50},
        "eval": {"runs": 3, "epochs": 300, "batch_size": 64, "augment": False},
    },
}
