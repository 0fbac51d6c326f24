"""Accuracy and wall time of the CPU-sized presets of each loss, DDiF vs vanilla at the same budget.

    python benchmarks/bench_presets.py [--presets demo fashion-mnist-dc fashion-mnist-tm] [--params ddif vanilla]

Each preset runs with ``--param ddif`` and ``--param vanilla`` in this benchmark run (real Fashion-MNIST, IPC 1,
ConvNetD3; evaluation 3 nets x 300 epochs, final-epoch accuracy, mean +- population std). The first TM run
trains its expert trajectories (cached for the second, inside the benchmark's temporary folder), so its wall time
includes them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import record, run_ddif, work_dir  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--presets", nargs="+", default=["demo", "fashion-mnist-dc", "fashion-mnist-tm"])
    ap.add_argument("--params", nargs="+", default=["ddif", "vanilla"])
    args = ap.parse_args()
    figures: dict[str, object] = {}
    with work_dir() as work:
        for preset in args.presets:
            for param in args.params:
                run_dir = work / f"{preset}-{param}"
                m, wall, command = run_ddif("run", "--modality", "image", "--preset", preset, "--param", param,
                                            "--out", str(run_dir))
                key = f"{preset}/{param}"
                figures[key] = {
                    "command": command.split(" --out ")[0],
                    "loss": json.loads((run_dir / "config.json").read_text())["config"]["run"]["loss"],
                    "wall_s": round(wall, 1),
                    "accuracy_mean": round(m["accuracy_mean"], 2),
                    "accuracy_std": round(m["accuracy_std"], 2),
                    "accuracies": [round(a, 2) for a in m["accuracies"]],
                    "eval_lr": m.get("eval_lr"),
                    "num_decoded": m["num_decoded"],
                    "budget": f"{m['budget_used']}/{m['budget_allowed']}",
                    "timings_s": {k: round(v, 1) for k, v in m["timings"].items()},
                }
                print(key, json.dumps(figures[key]), flush=True)
    everything = args.presets == ap.get_default("presets") and args.params == ap.get_default("params")
    record("presets" if everything else "presets_" + "_".join(args.presets), figures)  # a subset keeps presets.json


if __name__ == "__main__":
    main()
