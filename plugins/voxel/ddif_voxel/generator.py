"""``ddif data make primitives``: the offline stand-in for ModelNet10 (see :mod:`ddif_voxel.primitives`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import Field

from ddif_core import DataGenerator, GeneratorOptions


class PrimitivesOptions(GeneratorOptions):
    per_class: int = Field(40, ge=1, le=100_000, description="Training meshes per class.")
    test_per_class: int = Field(20, ge=1, le=100_000, description="Test meshes per class.")


class PrimitivesGenerator(DataGenerator):
    name = "primitives"
    modality = "voxel"
    description = ("10 classes of furniture-like meshes from trimesh primitives (table, chair, bed, lamp, ...), "
                   "OFF files in the ModelNet10 layout.")
    Options = PrimitivesOptions

    def make(self, out_dir: Path, options: GeneratorOptions,
             progress: Callable[[int, int], None] | None = None) -> None:
        from ddif_voxel.primitives import write_primitives

        o: PrimitivesOptions = options  # type: ignore[assignment]
        write_primitives(out_dir, o.per_class, o.test_per_class, o.seed, progress)
