"""The image-folder reader on real data: Fashion-MNIST written as a JPEG ImageFolder tree, read back through
``--dataset folder`` (decode throughput, cached reload), then distilled with the demo preset.

    python benchmarks/bench_folder.py [--per-class 600] [--keep DIR]

Writes ``train/<class>/*.jpg`` (``--per-class`` images per class of the training split) and ``val/<class>/*.jpg``
(the full 10,000-image test split) from Debian's Fashion-MNIST IDX files, reads them at 32 px (RGB, shorter side
resized, centre crop), and runs ``ddif run --modality image --preset demo --dataset folder --set
modality.resolution=32``: the same DM protocol as the demo, on a folder instead of IDX files.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import record, run_ddif, work_dir  # noqa: E402

from ddif_image.datasets import DEBIAN_FASHION_MNIST, FASHION_MNIST_CLASSES  # noqa: E402
from ddif_image.idx import read_idx  # noqa: E402


def write_tree(root: Path, per_class: int) -> dict[str, int]:
    from PIL import Image

    counts = {}
    src = Path(DEBIAN_FASHION_MNIST)
    for split, stem, limit in (("train", "train", per_class), ("val", "t10k", None)):
        images = read_idx(src / f"{stem}-images-idx3-ubyte.gz")
        labels = read_idx(src / f"{stem}-labels-idx1-ubyte.gz")
        seen = [0] * 10
        n = 0
        for i, (img, label) in enumerate(zip(images, labels.tolist())):
            if limit is not None and seen[label] >= limit:
                continue
            folder = root / split / FASHION_MNIST_CLASSES[label].replace("/", "-")
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(folder / f"{i:05d}.jpg", quality=95)
            seen[label] += 1
            n += 1
        counts[split] = n
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--per-class", type=int, default=600)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    figures: dict[str, object] = {}
    with work_dir(args.keep) as work:
        root, cache = work / "fmnist-jpeg", work / "cache"
        if not root.exists():
            figures["files"] = write_tree(root, args.per_class)
        from ddif_image.modality import ImageModality, ImageOptions

        opts = ImageOptions(resolution=32, cache_dir=str(cache))
        for attempt in ("first_load_s", "cached_load_s"):
            t = time.perf_counter()
            data = ImageModality(opts, "folder", root).load("train")
            figures[attempt] = round(time.perf_counter() - t, 2)
        figures["train_images"] = int(data.x.shape[0])
        figures["decode_images_per_s"] = round(data.x.shape[0] / figures["first_load_s"], 1)
        m, wall, command = run_ddif(
            "run", "--modality", "image", "--preset", "demo", "--dataset", "folder", "--data-root", str(root),
            "--set", "modality.resolution=32", "--set", f"modality.cache_dir={cache}", "--out", str(work / "run"))
        figures["run"] = {
            "command": command.replace(str(root), "DIR").split(" --set modality.cache_dir")[0],
            "wall_s": round(wall, 1),
            "accuracy_mean": round(m["accuracy_mean"], 2), "accuracy_std": round(m["accuracy_std"], 2),
            "accuracies": [round(a, 2) for a in m["accuracies"]],
            "num_decoded": m["num_decoded"], "params_per_item": m["params_per_item"],
            "budget": f"{m['budget_used']}/{m['budget_allowed']}",
        }
        print(json.dumps(figures), flush=True)
    record("folder", figures)


if __name__ == "__main__":
    main()
