"""The `demo` preset end to end (real Fashion-MNIST, IPC 1, DM, ConvNetD3), with --param ddif and
--param vanilla at the same budget in the same benchmark run: wall time and final-epoch accuracy.

    python benchmarks/bench_demo.py [--params ddif vanilla] [--set key=value ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import record  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", nargs="+", default=["ddif", "vanilla"])
    ap.add_argument("--set", dest="sets", action="append", default=[])
    ap.add_argument("--name", default="demo")
    args = ap.parse_args()
    ddif = str(Path(sys.executable).with_name("ddif"))
    figures: dict[str, object] = {"preset": "demo", "sets": args.sets}
    work = Path(tempfile.mkdtemp(prefix="ddif-bench-"))
    try:
        for param in args.params:
            out = work / param
            cmd = [ddif, "run", "--modality", "image", "--preset", "demo", "--param", param, "--out", str(out),
                   "--json", "--quiet", *[x for s in args.sets for x in ("--set", s)]]
            t = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            wall = time.perf_counter() - t
            if proc.returncode != 0:
                raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
            m = json.loads(proc.stdout)
            figures[param] = {
                "command": " ".join(["ddif", *cmd[1:]]),
                "wall_s": round(wall, 1),
                "accuracy_mean": round(m["accuracy_mean"], 2),
                "accuracy_std": round(m["accuracy_std"], 2),
                "accuracies": [round(a, 2) for a in m["accuracies"]],
                "num_decoded": m["num_decoded"],
                "budget_used": m["budget_used"],
                "budget_allowed": m["budget_allowed"],
                "timings_s": {k: round(v, 1) for k, v in m["timings"].items()},
            }
            print(param, json.dumps(figures[param]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record(args.name, figures)


if __name__ == "__main__":
    main()
