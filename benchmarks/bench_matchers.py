"""Per-iteration time and peak memory of DC, DM and TM on real Fashion-MNIST at IPC 1 and 10,
``--param ddif`` vs ``--param vanilla``. Each case runs in a fresh process (clean peak memory):
data load, warm-up (shortened: its cost is in bench_fields) and the matcher's preparation happen
first, then ``--iterations`` matcher iterations are timed (after one untimed).

    python benchmarks/bench_matchers.py [--iterations 3] [--losses dm dc tm] [--ipcs 1 10]

Settings: DM and DC with the paper's real batch of 256 per class and DC's outer/inner loops for the
IPC; TM with the CPU preset ``fashion-mnist-tm`` (2 experts on 500 images per class, 5 unrolled
steps of 55 instances; experts are cached after the first case).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import record  # noqa: E402

CACHE = Path(__file__).resolve().parent / "results" / ".cache" / "run"


def one_case(loss: str, param: str, ipc: int, iterations: int) -> dict[str, object]:
    from ddif_core.config import build_config
    from ddif_core.distill import Optimizers, iteration_seed
    from ddif_core.plugins import get_registry
    from ddif_core.session import open_session, plan_budget

    sets = ["param.warmup_steps=100"] if param == "ddif" else []
    if loss != "tm":
        sets.append("matcher.batch_real=256")
    flags = {"modality": "image", "dataset": "fashion-mnist", "ipc": ipc, "param": param, "loss": loss,
             "device": "cpu", "preset": "fashion-mnist-tm" if loss == "tm" else None}
    presets = get_registry().get("modalities", "image").presets
    cfg = build_config(flags, None, sets, lambda m: presets())
    session = open_session(cfg, quiet=True, splits=("train",))
    parts, real = session.parts, session.real
    plan, budget = plan_budget(parts, ipc)
    syn = parts.param_cls(parts.param_options, plan, parts.modality.sample_shape, 10,
                          generator=torch.Generator().manual_seed(0))
    syn.initialize(real, torch.Generator().manual_seed(1))
    ctx = session.matcher_context(CACHE.parent)
    matcher = parts.matcher
    estimate = matcher.check_resources(ctx, syn)
    matcher.prepare(ctx)
    opt = Optimizers.build(syn, matcher, lr=1e-4)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times = []
    for it in range(iterations + 1):
        s = iteration_seed(0, it)
        torch.manual_seed(s)
        t = time.perf_counter()
        opt.step(matcher.step(ctx, syn, torch.Generator().manual_seed(s)))
        if it > 0:
            times.append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "loss": loss, "param": param, "ipc": ipc, "items": budget.total_fields,
        "seconds_per_iteration": round(sum(times) / len(times), 2),
        "peak_rss_mb": round(peak, 0), "rss_before_iterations_mb": round(rss_before, 0),
        "tm_graph_estimate_mb": round(estimate / 2**20, 0) if estimate else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--losses", nargs="+", default=["dm", "dc", "tm"])
    ap.add_argument("--params", nargs="+", default=["ddif", "vanilla"])
    ap.add_argument("--ipcs", nargs="+", type=int, default=[1, 10])
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        loss, param, ipc = args.case.split(",")
        print("RESULT " + json.dumps(one_case(loss, param, int(ipc), args.iterations)))
        return
    rows = []
    for loss in args.losses:
        for ipc in args.ipcs:
            for param in args.params:
                proc = subprocess.run([sys.executable, __file__, "--case", f"{loss},{param},{ipc}",
                                       "--iterations", str(args.iterations)], capture_output=True, text=True)
                if proc.returncode != 0:
                    rows.append({"loss": loss, "param": param, "ipc": ipc, "error": proc.stderr.strip()[-300:]})
                else:
                    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
                    rows.append(json.loads(line.removeprefix("RESULT ")))
                print(rows[-1], flush=True)
    record("matchers", {"cases": rows})


if __name__ == "__main__":
    main()
