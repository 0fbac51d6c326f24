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


def main_by_parts(name: str, doc: str, components: Callable[[], object], run: Callable[[], object]) -> None:
    """The ``--parts components|run|all`` command line of a modality benchmark; records ``<name>[_<part>].json``."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--parts", choices=["components", "run", "all"], default="all")
    args = parser.parse_args()
    figures: dict[str, object] = {"note": "timed on a 2-core CPU shared with other jobs (under load)"}
    if args.parts in ("components", "all"):
        figures["components"] = components()
    if args.parts in ("run", "all"):
        figures["demo"] = run()
    record(name if args.parts == "all" else f"{name}_{args.parts}", figures)

