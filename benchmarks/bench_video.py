"""Video figures on this host: reading clips, decoding fields at 16x112x112, ConvNet3D, and a CPU-sized DM run.

    python benchmarks/bench_video.py            # everything (about an hour of one core)
    python benchmarks/bench_video.py --parts components

Components (the paper's MiniUCF shape, 3x16x112x112, Table 8's field L=6, d=40, w0=5):
* ``avi_ms_per_clip``: one moving-shapes .avi (320x240, ~64 frames) -> 16 frames of 112x112 with PyAV.
* ``decode_ms_per_clip``: a field decoded on the 16x112x112 grid without gradients.
* ``grad_mib_per_field``: peak resident memory added per field by a decode with gradients and its
  backward pass (measured in fresh processes with 1 and 4 fields; what a DM step holds per clip).
* ``convnet3d_ms_per_clip``: ConvNet3D embedding, batch 8, no gradients.

Run (``--parts run [--vanilla-lrs LR ...]``): ``ddif run --modality video --preset demo`` with DDiF at the
preset's 3 fields per class, with ``--param vanilla`` (1 clip per class: the whole IPC-1 budget; DM's own SGD
lr 1.0, momentum 0.5, then each of ``--vanilla-lrs``), with DDiF at 1 field per class (as many decoded clips as
vanilla, 1/25 of its budget), with DDiF at 25 fields per class (vanilla's budget) and on the whole training
split (18 clips per class, the upper bound), final-epoch accuracy mean ± std, seconds per stage (the last two
rows evaluate on 250 and 180 clips: about 40 and 25 minutes of one core).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, demo_rows, main_by_parts, vanilla_sweep_rows  # noqa: E402

SHAPE = (3, 16, 112, 112)
#: The demo's evaluation on every training clip (18 per class): vanilla at IPC 18 with no DM step is the
#: training split itself, the upper bound of any IPC-1 set.
FULL_TRAINING_SET = ["--param", "vanilla", "--ipc", "18", "--set", "distill.iterations=0"]
FIELD = {"layers": 6, "width": 40, "w0": 5.0, "w0_first": 5.0}


def _grad_peak(k: int) -> float:
    """Peak RSS (MiB) of a fresh process that decodes k fields at 16x112x112 with gradients and backpropagates."""
    code = f"""
import resource, torch
from ddif_core import FieldBank
torch.set_num_threads(1)
bank = FieldBank({k}, 3, 3, {FIELD['layers']}, {FIELD['width']}, w0=5.0, w0_first=5.0)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = bank.decode_grid({SHAPE[1:]})
out.square().mean().backward()
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(proc.stdout.strip().splitlines()[-1])


def components() -> dict[str, object]:
    from ddif_core import FieldBank
    from ddif_video.convnet3d import ConvNet3D
    from ddif_video.decode import read_clip
    from ddif_video.shapes import write_dataset

    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        write_dataset(Path(tmp), classes=2, per_class=2, seed=0)
        clips = sorted(Path(tmp).rglob("*.avi"))
        t = best_of(lambda: [read_clip(p, 16, 4, 112) for p in clips], repeats=3)
        out["avi_ms_per_clip"] = round(1000 * t / len(clips), 1)
    bank = FieldBank(8, 3, 3, FIELD["layers"], FIELD["width"], w0=5.0, w0_first=5.0)
    with torch.no_grad():
        t = best_of(lambda: bank.decode_grid(SHAPE[1:]), repeats=3)
    out["decode_ms_per_clip"] = round(1000 * t / 8, 1)
    one, four = _grad_peak(1), _grad_peak(4)
    out["grad_peak_mib_1_field"] = round(one, 1)
    out["grad_peak_mib_4_fields"] = round(four, 1)
    out["grad_mib_per_field"] = round((four - one) / 3, 1)
    net = ConvNet3D(3, 50, SHAPE[1:]).eval()
    x = torch.randn(8, *SHAPE)
    with torch.no_grad():
        t = best_of(lambda: net.embed(x), repeats=3)
    out["convnet3d_ms_per_clip"] = round(1000 * t / 8, 1)
    out["field_params"] = sum(p[0].numel() for p in bank.parameters())
    return out


def run_presets(vanilla_lrs: list[float], name: str, extra: dict[str, object]) -> dict[str, object]:
    """The demo with DDiF at 3 fields per class (the preset), vanilla (1 clip per class, the whole IPC-1
    budget; DM's own SGD lr 1.0, momentum 0.5, then ``vanilla_lrs``), DDiF at 1 field per class (as many
    decoded clips as vanilla) and at 25 (24,576 / 983 values: vanilla's budget)."""
    rows = {"ddif": ["--param", "ddif"], "vanilla": ["--param", "vanilla"], **vanilla_sweep_rows(vanilla_lrs),
            "ddif/1-field-per-class": ["--param", "ddif", "--set", "param.fields_per_class=1"],
            "ddif/equal-budget": ["--param", "ddif", "--set", "param.fields_per_class=25"],
            "full-training-set": FULL_TRAINING_SET}
    return demo_rows("video", rows, name, extra)


def main() -> None:
    main_by_parts("video", __doc__, components, run_presets)


if __name__ == "__main__":
    main()
