"""Voxel figures on this host: reading OFF meshes, voxelising, decoding fields at 32^3, conv3dnet, marching cubes,
and the CPU-sized demo (DDiF vs vanilla at the same budget) with 16 -> 32 cross-resolution.

    python benchmarks/bench_voxel.py                    # everything (about 25 minutes on 2 cores)
    python benchmarks/bench_voxel.py --parts components

Components (on the offline primitives, Table 8's voxel field L=3, d=20, w0 30/40, 941 parameters):
* ``off_ms_per_file``: the plugin's OFF parser on one primitives file.
* ``voxelize_ms_per_mesh``: trimesh mesh + 10,000 even surface samples + occupancy at 32^3.
* ``decode_ms_per_grid``: 340 fields (ModelNet10 IPC 1) decoded on the 32^3 grid without gradients, per grid.
* ``conv3dnet_ms_per_grid``: forward pass, batch 8, at 32^3 width 128 (the protocol) and 16^3 width 32 (demo).
* ``marching_cubes_ms_per_grid``: one decoded grid -> mesh (the ``ddif decode --format obj`` path).

Run (``--parts run [--vanilla-lrs LR ...]``): ``ddif run --modality voxel --preset demo`` with ``--param ddif`` and
``--param vanilla`` (equal budget: 4 fields per class vs one 16^3 grid per class; vanilla with DM's own SGD lr 1.0,
momentum 0.5, then each of ``--vanilla-lrs``), final-epoch accuracy mean ± std, seconds per stage,
then ``ddif eval RUN --resolution 32`` for both (fields decoded on the 32^3 grid; vanilla grids resized; the
test set voxelised at 32^3 from the same files; at 32^3 conv3dnet has a third block and the evaluation costs
about 8x the 16^3 one: an hour of one core for the DDiF row).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (best_of, demo_rows, main_by_parts, record, row_dir, run_ddif, vanilla_sweep_rows,  # noqa: E402
                    work_dir)


def components() -> dict[str, object]:
    from ddif_core import FieldBank
    from ddif_voxel.export import grid_to_mesh
    from ddif_voxel.folder import MeshTree
    from ddif_voxel.grids import VoxelSettings, voxelize_source
    from ddif_voxel.networks import Conv3DNetOptions, build_conv3dnet
    from ddif_voxel.off import read_off
    from ddif_voxel.primitives import write_primitives

    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        write_primitives(Path(tmp), per_class=2, test_per_class=1, seed=0)
        sources = MeshTree(Path(tmp)).split("train")
        t = best_of(lambda: [read_off(s.path) for s in sources], repeats=3)
        out["off_ms_per_file"] = round(1000 * t / len(sources), 2)
        settings = VoxelSettings(resolution=32)
        t = best_of(lambda: [voxelize_source(s, "mesh", settings) for s in sources], repeats=3)
        out["voxelize_ms_per_mesh"] = round(1000 * t / len(sources), 1)
    bank = FieldBank(340, 3, 1, 3, 20, w0=40.0, w0_first=30.0)
    with torch.no_grad():
        t = best_of(lambda: bank.decode_grid((32, 32, 32)), repeats=3)
        grids = bank.decode_grid((32, 32, 32))
    out["decode_ms_per_grid"] = round(1000 * t / 340, 2)
    out["field_params"] = sum(p[0].numel() for p in bank.parameters())
    for side, width in ((32, 128), (16, 32)):
        net = build_conv3dnet((1, side, side, side), 10, Conv3DNetOptions(width=width)).eval()
        x = torch.randn(8, 1, side, side, side)
        with torch.no_grad():
            t = best_of(lambda: net(x), repeats=3)
        out[f"conv3dnet_ms_per_grid_{side}_width{width}"] = round(1000 * t / 8, 1)
    ball = torch.zeros(32, 32, 32)
    ax = torch.linspace(-1, 1, 32)
    ball[(ax[:, None, None] ** 2 + ax[None, :, None] ** 2 + ax[None, None, :] ** 2) < 0.5] = 1.0
    t = best_of(lambda: grid_to_mesh(ball.numpy()), repeats=5)
    out["marching_cubes_ms_per_grid"] = round(1000 * t, 2)
    del grids
    return out


def run_demo(vanilla_lrs: list[float], name: str, extra: dict[str, object]) -> dict[str, object]:
    """DDiF and vanilla (DM's own SGD lr 1.0, momentum 0.5, then ``vanilla_lrs``) on the demo, each then
    evaluated at 32^3 (``ddif eval RUN --resolution 32``)."""
    rows = {"ddif": ["--param", "ddif"], "vanilla": ["--param", "vanilla"], **vanilla_sweep_rows(vanilla_lrs)}
    with work_dir() as work:
        figures = demo_rows("voxel", rows, name, extra, keep=work)
        for row in rows:
            if "failed" in figures[row]:  # type: ignore[operator]
                continue
            cross, wall, _ = run_ddif("eval", str(row_dir(work, row)), "--resolution", "32")
            keys = ("accuracy_mean", "accuracy_std", "accuracy_org", "accuracy_drop", "accuracy_drop_ratio")
            figures[row]["at_32"] = {"command": "ddif eval RUN --resolution 32", "wall_s": round(wall, 1),  # type: ignore[index]
                                     **{k: cross[k] for k in keys if k in cross}}
            print(row, "at 32^3", figures[row]["at_32"], flush=True)  # type: ignore[index]
            record(name, figures)
    return figures


def main() -> None:
    main_by_parts("voxel", __doc__, components, run_demo)


if __name__ == "__main__":
    main()
