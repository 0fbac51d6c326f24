"""Distribution matching at the paper's settings on real Fashion-MNIST (IPC 1, 11 fields of 67
parameters per class, real batch 256 per class, ConvNetD3, DSA): time per iteration and the share
spent embedding the real batches, the work no implementation can skip.

    python benchmarks/bench_dm.py [--iterations 5] [--batch-real 256]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import record  # noqa: E402

from ddif_core.config import build_config  # noqa: E402
from ddif_core.cpu import tune_allocator  # noqa: E402
from ddif_core.distill import iteration_seed  # noqa: E402
from ddif_core.session import open_session, plan_budget  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--batch-real", type=int, default=256)
    args = ap.parse_args()
    tune_allocator()
    cfg = build_config({"modality": "image", "dataset": "fashion-mnist", "device": "cpu"}, None,
                       [f"matcher.batch_real={args.batch_real}", "param.warmup_steps=0"])
    session = open_session(cfg, quiet=True, splits=("train",))
    parts, real = session.parts, session.real
    plan, budget = plan_budget(parts, 1)
    syn = parts.param_cls(parts.param_options, plan, parts.modality.sample_shape, 10,
                          generator=torch.Generator().manual_seed(0))
    syn.initialize(real, torch.Generator().manual_seed(1))
    ctx = session.matcher_context(Path("/tmp"))
    opt = torch.optim.Adam(syn.parameters(), lr=1e-4)
    matcher = parts.matcher
    o = matcher.options

    def real_embedding(it: int) -> float:
        """The same real work as one DM step: sample, augment and embed 10 x batch_real images."""
        s = iteration_seed(0, it)
        torch.manual_seed(s)
        g = torch.Generator().manual_seed(s)
        net = ctx.build_network(None)
        idx = real.sample_indices(o.batch_real, g)
        params = parts.modality.sample_siamese_augmentation(10, g)  # one draw per class, as DM
        slots = torch.arange(10).repeat_interleave(idx.shape[1])
        flat = idx.reshape(-1)
        t = time.perf_counter()
        with torch.no_grad():
            for i in range(0, flat.numel(), 32):
                net.embed(parts.modality.augment(real.get(flat[i : i + 32]), params, slots[i : i + 32]))
        return time.perf_counter() - t

    step_times, real_times = [], []
    for it in range(args.iterations + 1):
        s = iteration_seed(0, it)
        torch.manual_seed(s)
        t = time.perf_counter()
        loss = matcher.step(ctx, syn, torch.Generator().manual_seed(s))
        opt.zero_grad()
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t
        rt = real_embedding(it)
        if it > 0:  # the first iteration pays one-time costs
            step_times.append(dt)
            real_times.append(rt)
    step = sum(step_times) / len(step_times)
    real_t = sum(real_times) / len(real_times)
    record(f"dm_batch{args.batch_real}", {
        "setting": f"Fashion-MNIST IPC 1, {budget.fields_per_class} fields/class x {budget.params_per_field} params, "
                   f"real batch {args.batch_real}/class, ConvNetD3, DSA",
        "iterations_timed": len(step_times),
        "seconds_per_iteration": round(step, 3),
        "real_embedding_seconds": round(real_t, 3),
        "real_embedding_share": round(real_t / step, 3),
        "rest_seconds (decode, synthetic embed+backward, Adam)": round(step - real_t, 3),
    })


if __name__ == "__main__":
    main()
