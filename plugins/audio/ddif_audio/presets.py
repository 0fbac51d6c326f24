"""Named run presets of the audio modality (``ddif run --modality audio --preset NAME``).

The paper's audio rows (Table 9a) are DC with a synthetic batch of 64 and field lr 1e-5 (IPC 10) / 1e-4
(IPC 20), 1,000 iterations as the authors' DC scripts. Evaluation follows IDC, the protocol of Table 5's
baselines: 1,000 epochs, SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 64, lr x0.2 at 2/3 and 5/6,
no augmentation. DM and TM rows are not in Table 9 for audio: their settings are ours (marked).
"""

from __future__ import annotations

from typing import Any

IDC_EVAL: dict[str, Any] = {"runs": 5, "epochs": 1000, "lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4,
                            "batch_size": 64, "lr_milestones": [2 / 3, 5 / 6], "lr_gamma": 0.2, "augment": False}


def _paper(ipc: int, loss: str, lr: float, iterations: int, matcher: dict[str, Any],
           dataset: str = "mini-speech-commands") -> dict[str, Any]:
    return {
        "run": {"dataset": dataset, "ipc": ipc, "loss": loss, "param": "ddif"},
        "matcher": {loss: {"augment": False, **matcher}},
        "distill": {"iterations": iterations, "lr": lr, "checkpoint_every": 100},
        "eval": dict(IDC_EVAL),
    }


PRESETS: dict[str, dict[str, Any]] = {
    # Table 9a.
    "speech-ipc10-dc": _paper(10, "dc", 1e-5, 1000, {"batch_syn": 64, "batch_real": 64}),
    "speech-ipc20-dc": _paper(20, "dc", 1e-4, 1000, {"batch_syn": 64, "batch_real": 64}),
    # Ours (not in Table 9): DM at the ImageNet rows' field lr, TM with the ImageNet IPC-10 unroll.
    "speech-ipc10-dm": _paper(10, "dm", 1e-4, 20000, {"batch_syn": 64, "batch_real": 64}),
    "speech-ipc20-dm": _paper(20, "dm", 1e-4, 20000, {"batch_syn": 64, "batch_real": 64}),
    "speech-ipc10-tm": _paper(10, "tm", 1e-4, 5000, {"syn_steps": 20, "expert_epochs": 2, "max_start_epoch": 10,
                                                     "batch_syn": 64, "lr_lr": 1e-5, "lr_teacher": 1e-2}),
    # Sized for `ddif run --modality audio --preset demo` on a 2-core CPU without data: speech-synth (60 speakers
    # per word, about 48 train / 6 test / 6 validation), 32x32 spectrograms (ConvNetD3), IPC 1 with Table 8's
    # audio field (L=3, d=10: 3 fields per class) against 1 spectrogram per class for --param vanilla.
    "demo": {
        "run": {"dataset": "speech-synth", "ipc": 1, "loss": "dm", "param": "ddif"},
        "modality": {"size": 32, "synth_per_class": 60},
        "param": {"ddif": {"layers": 3, "width": 10, "warmup_steps": 1000, "warmup_lr": 5e-4}},
        "matcher": {"dm": {"batch_real": 64, "augment": False}},
        "distill": {"iterations": 100, "lr": 1e-3, "checkpoint_every": 25},
        "eval": {"runs": 3, "epochs": 200, "batch_size": 64, "lr_milestones": [2 / 3, 5 / 6], "lr_gamma": 0.2,
                 "augment": False},
    },
    # Seconds on test-written WAVs (the tests use it with --data-root).
    "tiny": {
        "run": {"ipc": 1, "loss": "dm", "param": "ddif"},
        "modality": {"size": 16},
        "param": {"ddif": {"warmup_steps": 20, "fields_per_class": 2}},
        "matcher": {"dm": {"batch_real": 4, "augment": False}, "dc": {"batch_real": 4, "augment": False}},
        "distill": {"iterations": 2, "checkpoint_every": 1},
        "eval": {"runs": 1, "epochs": 2, "batch_size": 16, "augment": False},
    },
}
