"""Shared helpers of the benchmark scripts: timing, machine description, recording figures."""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "results"


def best_of(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time in seconds of ``fn`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def machine() -> dict[str, object]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def record(name: str, figures: dict[str, object]) -> Path:
    """Write ``benchmarks/results/<name>.json`` with the figures, the machine and the command."""
    RESULTS_JSON.mkdir(exist_ok=True)
    path = RESULTS_JSON / f"{name}.json"
    data = {
        "benchmark": name,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
        "git": _git_rev(),
        "figures": figures,
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(json.dumps(data["figures"], indent=2))
    return path


def _git_rev() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=HERE, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def work_dir(keep: Path | None = None) -> Iterator[Path]:
    """A scratch folder for run directories: ``keep`` (left in place, reused by a later call) or a
    temporary folder removed at the end."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    work = Path(tempfile.mkdtemp(prefix="ddif-bench-"))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_ddif(*args: str) -> tuple[dict[str, object], float, str]:
    """Run this environment's ``ddif`` CLI with ``--json --quiet``.

    :returns: (the JSON it printed, wall seconds, the command as a user would type it); a failure
        stops the benchmark with the command and its error.
    """
    cmd = [str(Path(sys.executable).with_name("ddif")), *args, "--json", "--quiet"]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
    return json.loads(proc.stdout), wall, " ".join(["ddif", *args])


def main_by_parts(name: str, doc: str, components: Callable[[], dict[str, object]],
                  run: Callable[[list[float], str, dict[str, object]], object]) -> None:
    """The ``--parts components|run|all [--vanilla-lrs LR ...]`` command line of a modality benchmark.

    Records ``results/<name>_components.json``, ``<name>_run.json`` or, for ``all``, ``<name>.json``;
    ``run(vanilla_lrs, result_name, extra_figures)`` records its rows itself as they finish.
    """
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--parts", choices=["components", "run", "all"], default="all")
    parser.add_argument("--vanilla-lrs", nargs="*", type=float, default=[],
                        help="run parts: also run vanilla at these lrs of DM's own optimiser (SGD, momentum 0.5; "
                             "its default lr is 1.0)")
    args = parser.parse_args()
    figures: dict[str, object] = {}
    if args.parts in ("components", "all"):
        figures["components"] = components()
        if args.parts == "components":
            record(f"{name}_components", figures)
    if args.parts in ("run", "all"):
        run(args.vanilla_lrs, name if args.parts == "all" else f"{name}_run", figures)


def demo_rows(modality: str, rows: dict[str, list[str]], name: str, extra: dict[str, object] | None = None,
              keep: Path | None = None) -> dict[str, object]:
    """Run ``ddif run --modality M --preset demo`` once per row (its extra flags), recording
    ``results/<name>.json`` after every row so that a long benchmark stopped part-way keeps what finished.

    :param rows: row name -> extra flags, e.g. ``{"vanilla/lr=0.1": ["--param", "vanilla", "--set", "param.lr=0.1"]}``.
    :param extra: figures recorded with the rows (e.g. component timings).
    :returns: the recorded figures: each row's command, wall time, final-epoch accuracy mean ± std, the
        per-net accuracies, decoded instances, budget, optimiser and seconds per stage.
    """
    figures: dict[str, object] = dict(extra or {})
    figures["note"] = (f"torch threads {torch.get_num_threads()} per run; wall times are this machine's at the time "
                       f"(see machine and RESULTS.md for the load)")
    with work_dir(keep) as work:
        for row, flags in rows.items():
            run_dir = row_dir(work, row)
            args = ("run", "--modality", modality, "--preset", "demo", *flags, "--out", str(run_dir))
            try:
                m, wall, command = run_ddif(*args)
            except SystemExit as exc:  # e.g. a sweep's lr that diverges: record it, go on with the other rows
                figures[row] = {"command": " ".join(["ddif", *args]).split(" --out ")[0], "failed": str(exc)[-400:]}
                print(row, "FAILED", str(exc)[-400:], flush=True)
                record(name, figures)
                continue
            figures[row] = {
                "command": command.split(" --out ")[0],
                "wall_s": round(wall, 1),
                "accuracy_mean": round(m["accuracy_mean"], 2),
                "accuracy_std": round(m["accuracy_std"], 2),
                "accuracies": [round(a, 2) for a in m["accuracies"]],
                "num_decoded": m["num_decoded"],
                "items_per_class": m.get("items_per_class"),
                "budget": f"{m['budget_used']}/{m['budget_allowed']}",
                "optimizer": m.get("optimizer"),
                "timings_s": {k: round(v, 1) for k, v in m["timings"].items()},
            }
            print(row, json.dumps(figures[row]), flush=True)
            record(name, figures)
    return figures


def row_dir(work: Path, row: str) -> Path:
    """The run directory of a :func:`demo_rows` row inside ``work``."""
    return work / row.replace("/", "-").replace("=", "")


def vanilla_sweep_rows(lrs: list[float]) -> dict[str, list[str]]:
    """Extra vanilla rows at other learning rates of the loss's own optimiser (the baseline's sweep)."""
    return {f"vanilla/lr={lr:g}": ["--param", "vanilla", "--set", f"param.lr={lr:g}"] for lr in lrs}
