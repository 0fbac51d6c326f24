"""Audio figures on this machine: the demo preset, DDiF vs vanilla at the same budget, and decode times.

    python benchmarks/bench_audio.py [--params ddif vanilla] [--keep DIR]

Both runs read speech-synth (espeak-ng, generated once into the cache; it is NOT Speech Commands) through the
Speech Commands reader. Evaluation: the preset's nets x epochs, final-epoch accuracy, mean +- population std.
Decode times: Table 8's audio fields (L=3, d=10) decoded on the 64x64 grid without gradients, all at once
(``FieldBank.decode_grid``), median of 3 after a warm-up, per spectrogram; and Griffin-Lim (32 iterations)
per one-second clip. With a CUDA device, ``--gpu`` also times ``speech-ipc10-dc`` iterations on speech-synth.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, record, run_ddif, work_dir  # noqa: E402

from ddif_core import FieldBank  # noqa: E402


def decode_times() -> dict[str, object]:
    from ddif_audio.spectrogram import griffin_lim

    torch.manual_seed(0)
    k = 156 * 8  # IPC 10: 156 fields per class, 8 words
    bank = FieldBank(k, 2, 1, 3, 10)
    with torch.no_grad():
        sec = best_of(lambda: bank.decode_grid((64, 64)), repeats=3)
        specs = bank.decode_grid((64, 64)).reshape(k, 1, 64, 64)[:16]
    gl = best_of(lambda: griffin_lim(specs), repeats=1)
    return {"fields": k, "params_per_field": bank.params_per_field, "decode_total_s": round(sec, 3),
            "decode_ms_per_spectrogram": round(1000 * sec / k, 3),
            "griffin_lim_ms_per_clip": round(1000 * gl / specs.shape[0], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", nargs="*", default=["ddif", "vanilla"])
    ap.add_argument("--keep", type=Path, help="keep the run directories here (reused when present)")
    ap.add_argument("--gpu", action="store_true", help="also time speech-ipc10-dc iterations on a CUDA device")
    args = ap.parse_args()
    figures: dict[str, object] = {"decode": decode_times()}
    print("decode", figures["decode"], flush=True)
    with work_dir(args.keep) as work:
        for param in args.params:
            run_dir = work / f"demo-{param}"
            cmd = ("run", "--modality", "audio", "--preset", "demo", "--param", param, "--out", str(run_dir))
            t = time.perf_counter()
            m, wall, command = run_ddif(*cmd) if not (run_dir / "metrics.json").exists() else (
                json.loads((run_dir / "metrics.json").read_text()), None, " ".join(("ddif", *cmd)))
            figures[f"demo/{param}"] = {
                "command": command.split(" --out ")[0],
                "wall_s": round(wall, 1) if wall is not None else None,
                "accuracy_mean": round(m["accuracy_mean"], 2), "accuracy_std": round(m["accuracy_std"], 2),
                "accuracies": [round(a, 2) for a in m["accuracies"]],
                "num_decoded": m["num_decoded"], "budget": f"{m['budget_used']}/{m['budget_allowed']}",
                "timings_s": {k: round(v, 1) for k, v in m["timings"].items()},
            }
            print(param, json.dumps(figures[f"demo/{param}"]), f"({time.perf_counter() - t:.0f} s)", flush=True)
        if all(f"demo/{p}" in figures for p in ("ddif", "vanilla")):
            d, v = figures["demo/ddif"], figures["demo/vanilla"]
            figures["ddif_minus_vanilla_points"] = round(d["accuracy_mean"] - v["accuracy_mean"], 2)  # type: ignore[index]
        if args.gpu and torch.cuda.is_available():
            run_dir = work / "speech-ipc10-dc"
            m, wall, command = run_ddif("run", "--modality", "audio", "--preset", "speech-ipc10-dc", "--dataset",
                                        "speech-synth", "--set", "distill.iterations=20", "--set", "eval.runs=1",
                                        "--set", "eval.epochs=1", "--device", "cuda", "--out", str(run_dir))
            figures["speech-ipc10-dc/gpu"] = {"command": command.split(" --out ")[0],
                                              "seconds_per_iteration": round(m["timings"]["distill_s"] / 20, 3),
                                              "timings_s": {k: round(v, 1) for k, v in m["timings"].items()}}
    record("audio", figures)


if __name__ == "__main__":
    main()
