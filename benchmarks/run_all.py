"""Run every benchmark in sequence (about 100 minutes on a 2-core CPU); figures land in benchmarks/results/.

    python benchmarks/run_all.py            # or: make bench
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STEPS = [
    ["bench_fields.py"],
    ["bench_dm.py", "--batch-real", "256"],
    ["bench_dm.py", "--batch-real", "64"],
    ["bench_matchers.py"],
    ["bench_presets.py"],
    ["bench_images.py"],
    ["bench_folder.py"],
]


def main() -> None:
    for step in STEPS:
        print(f"== {' '.join(step)}", flush=True)
        subprocess.run([sys.executable, str(HERE / step[0]), *step[1:]], check=True)
    print(f"figures written to {HERE / 'results'}; summarise them in {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
