"""Activation memory of one field decoded with gradients, with and without recomputation.

A 16x112x112 video field at L=6, d=40, m=3 (the issue's example): the bytes autograd keeps for the
backward pass (counted exactly with ``saved_tensors_hooks``), the peak resident memory of a forward
plus backward pass (each mode in a fresh process), and its time, for the plain gradient path and
the recomputing one (``torch.utils.checkpoint`` per chunk; automatic above ``recompute_bytes``).

    python benchmarks/bench_field_memory.py        # about a minute on 2 cores
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import peak_rss_mb, record  # noqa: E402

from ddif_core.cpu import tune_allocator  # noqa: E402
from ddif_core.fields import FieldBank  # noqa: E402

SIZES, LAYERS, WIDTH, CHANNELS, FIELDS = (16, 112, 112), 6, 40, 3, 4
TUNE = True


def measure(mode: str) -> dict[str, float]:
    """FIELDS fields, forward + backward; per-field figures; ``mode`` is ``plain`` or ``recompute``."""
    tune_allocator() if TUNE else None  # as the engine runs (prepare_process)
    torch.manual_seed(0)
    bank = FieldBank(FIELDS, 3, CHANNELS, LAYERS, WIDTH, recompute_bytes=1 if mode == "recompute" else 0)
    kept = [0]

    def pack(t: torch.Tensor) -> torch.Tensor:
        kept[0] += t.numel() * t.element_size()
        return t

    bank.decode_grid(SIZES[:1] + (8, 8)).sum().backward()  # warm the kernels on a tiny grid
    before = peak_rss_mb()
    t = time.perf_counter()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
        out = bank.decode_grid(SIZES)
    forward = time.perf_counter() - t
    out.square().mean().backward()
    total = time.perf_counter() - t
    return {
        "kept_for_backward_mb_per_field": round(kept[0] / FIELDS / 2**20, 1),
        "output_mb_per_field": round(out.numel() * out.element_size() / FIELDS / 2**20, 1),
        "peak_rss_increase_mb": round(peak_rss_mb() - before, 1),
        "forward_s_per_field": round(forward / FIELDS, 3),
        "forward_backward_s_per_field": round(total / FIELDS, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mode", choices=["plain", "recompute"])
    args = ap.parse_args()
    if args.mode:  # one mode in this process (clean peak memory); JSON for the parent
        print("RESULT " + json.dumps(measure(args.mode)))
        return
    bank = FieldBank(1, 3, CHANNELS, LAYERS, WIDTH)
    figures: dict[str, object] = {
        "shape": f"{FIELDS} fields, grid {'x'.join(map(str, SIZES))}, L={LAYERS} d={WIDTH} m={CHANNELS}, forward+backward",
        "estimate_mb_per_field": round(bank.activation_bytes(int(torch.tensor(SIZES).prod())) / 2**20, 1),
        "recompute_above_mb": round(bank.recompute_bytes / 2**20, 1),
    }
    for mode in ("plain", "recompute"):
        proc = subprocess.run([sys.executable, __file__, "--mode", mode], capture_output=True, text=True, check=True)
        line = next(v for v in proc.stdout.splitlines() if v.startswith("RESULT "))
        figures[mode] = json.loads(line.removeprefix("RESULT "))
    plain, rec = figures["plain"], figures["recompute"]
    figures["time_ratio"] = round(rec["forward_backward_s_per_field"] / plain["forward_backward_s_per_field"], 2)
    record("field_memory", figures)


if __name__ == "__main__":
    main()
