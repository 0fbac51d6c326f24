"""Image figures of the paper on a CPU: decode time per instance at 128 and 256 px (Table 16 reports
2.49 / 3.25 ms on a GPU), and Fashion-MNIST cross-resolution 28 -> 56 for DDiF vs vanilla (bilinear)
in the same benchmark run (Table 13's protocol: accuracy at 56, difference and drop ratio).

    python benchmarks/bench_images.py [--skip-crossres] [--keep DIR]

Decode: the ImageNette fields of Table 8 (128 px IPC 1: K=510, L=3, d=20; 256 px IPC 1: K=550, L=3,
d=40), all fields decoded at once without gradients
(``FieldBank.decode_grid``, the path every decoded instance takes), median of 3 after a warm-up; per instance =
total / K. Cross-resolution: ``ddif run --preset demo`` with ``--param ddif`` and ``--param vanilla``,
then ``ddif eval RUN --resolution 56`` (ConvNetD4 at 56 px; the test set is resized to 56).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, record, run_ddif, work_dir  # noqa: E402

from ddif_core.cpu import tune_allocator  # noqa: E402
from ddif_core.fields import FieldBank  # noqa: E402


def decode_times() -> dict[str, object]:
    tune_allocator()
    out: dict[str, object] = {}
    for name, (k, width, side) in {"imagenet128_ipc1": (510, 20, 128), "imagenet256_ipc1": (550, 40, 256)}.items():
        torch.manual_seed(0)
        bank = FieldBank(k, 2, 3, 3, width)
        with torch.no_grad():
            sec = best_of(lambda: bank.decode_grid((side, side)), repeats=3)
        out[name] = {"fields": k, "layers": 3, "width": width, "side": side, "total_s": round(sec, 3),
                     "ms_per_instance": round(1000 * sec / k, 3)}
        print(name, out[name], flush=True)
    return out


def cross_resolution(work: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for param in ("ddif", "vanilla"):
        run_dir = work / param
        run_args = ("run", "--modality", "image", "--preset", "demo", "--param", param, "--out", str(run_dir))
        wall = None
        if not (run_dir / "metrics.json").exists():
            _, wall, _ = run_ddif(*run_args)
            wall = round(wall, 1)
            print(param, "run (distil + evaluate) in", wall, "s", flush=True)
        metrics = json.loads((run_dir / "metrics.json").read_text())
        r, _, eval_cmd = run_ddif("eval", str(run_dir), "--resolution", "56", "--set", "eval.upsample=bilinear")
        out[param] = {
            "commands": [" ".join(["ddif", *run_args]) + " --json --quiet", eval_cmd + " --json --quiet"],
            "run_wall_s": wall,
            "run_timings_s": {k: round(v, 1) for k, v in metrics["timings"].items()},
            "accuracy_28": round(r["accuracy_original"], 2),
            "accuracies_28": [round(a, 2) for a in metrics["accuracies"]],
            "accuracy_56_mean": round(r["accuracy_mean"], 2),
            "accuracy_56_std": round(r["accuracy_std"], 2),
            "difference": round(r["accuracy_difference"], 2),
            "drop_ratio": round(r["accuracy_drop_ratio"], 4),
            "net": r["net"], "runs": r["runs"], "epochs": r["epochs"],
        }
        print(param, out[param], flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--skip-crossres", action="store_true")
    ap.add_argument("--keep", type=Path, help="Keep (and reuse) the two run directories here.")
    args = ap.parse_args()
    figures: dict[str, object] = {"decode": decode_times()}
    if not args.skip_crossres:
        with work_dir(args.keep) as work:
            figures["cross_resolution_28_to_56"] = cross_resolution(work)
    record("images", figures)


if __name__ == "__main__":
    main()
