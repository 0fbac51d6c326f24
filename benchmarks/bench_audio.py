"""Audio figures on this machine: the demo preset, DDiF vs vanilla at the same budget, and decode times.

    python benchmarks/bench_audio.py [--params ddif vanilla] [--vanilla-lrs 0.1 10] [--keep DIR]

Both runs read speech-synth (espeak-ng, generated once into the cache; it is NOT Speech Commands) through the
Speech Commands reader. Evaluation: the preset's nets x epochs, final-epoch accuracy, mean +- population std.
Decode times: Table 8's audio fields (L=3, d=10) decoded on the 64x64 grid without gradients, all at once
(``FieldBank.decode_grid``), median of 3 after a warm-up, per spectrogram; and Griffin-Lim (32 iterations)
per one-second clip. With a CUDA device, ``--gpu`` also times ``speech-ipc10-dc`` iterations on speech-synth.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, demo_rows, record, run_ddif, vanilla_sweep_rows, work_dir  # noqa: E402

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
    ap.add_argument("--vanilla-lrs", nargs="*", type=float, default=[],
                    help="also run vanilla at these lrs of DM's own optimiser (SGD, momentum 0.5; default lr 1.0)")
    ap.add_argument("--keep", type=Path, help="keep the run directories here")
    ap.add_argument("--gpu", action="store_true", help="also time speech-ipc10-dc iterations on a CUDA device")
    args = ap.parse_args()
    decode = decode_times()
    print("decode", decode, flush=True)
    rows = {f"demo/{p}": ["--param", p] for p in args.params}
    rows.update({f"demo/{k}": v for k, v in vanilla_sweep_rows(args.vanilla_lrs).items()})
    figures = demo_rows("audio", rows, "audio", {"decode": decode}, args.keep)
    vanillas = [k for k, v in figures.items() if k.startswith("demo/vanilla") and "failed" not in v]  # type: ignore[operator]
    if "demo/ddif" in figures and vanillas:
        best = max(vanillas, key=lambda k: figures[k]["accuracy_mean"])  # type: ignore[index]
        figures["best_vanilla"] = best
        figures["ddif_minus_best_vanilla_points"] = round(
            figures["demo/ddif"]["accuracy_mean"] - figures[best]["accuracy_mean"], 2)  # type: ignore[index]
    if args.gpu and torch.cuda.is_available():
        with work_dir() as work:
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
