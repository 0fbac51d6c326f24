"""Named presets of the signal modality (``ddif run --modality signal --preset NAME``)."""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    # Seconds on a CPU: for tests and a first look.
    "tiny": {
        "run": {"dataset": "waves", "ipc": 1, "loss": "dm"},
        "modality": {"per_class": 12, "length": 64},
        "param": {"ddif": {"warmup_steps": 200}},
        "matcher": {"dm": {"batch_real": 12}},
        "distill": {"iterations": 5, "checkpoint_every": 5},
        "eval": {"runs": 2, "epochs": 20},
    },
    # The generated waves at the usual protocol, sized for a 2-core CPU (a few minutes).
    "waves-ipc1-dm": {
        "run": {"dataset": "waves", "ipc": 1, "loss": "dm"},
        "param": {"ddif": {"warmup_steps": 2000, "warmup_lr": 5e-4}},
        "matcher": {"dm": {"batch_real": 40}},
        "distill": {"iterations": 200, "lr": 1e-3, "checkpoint_every": 50},
        "eval": {"runs": 3, "epochs": 300},
    },
}
