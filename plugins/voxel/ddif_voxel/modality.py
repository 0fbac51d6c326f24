"""The voxel modality: occupancy grids (1 x R x R x R) from ModelNet10/40, ShapeNet-Part, mesh folders or the
offline primitives, standardised with the training split's mean and standard deviation."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel, Field

from ddif_core import ArrayDataset, ConfigError, DataError, DatasetInfo, Modality, StrictModel
from ddif_voxel.grids import VoxelSettings, split_arrays
from ddif_voxel.modelnet import MODELNET10, MODELNET40
from ddif_voxel.presets import PRESETS
from ddif_voxel.primitives import CLASS_NAMES as PRIMITIVES
from ddif_voxel.shapenet import SHAPENET_PART
from ddif_voxel.sources import Layout

#: Table 8: n = 3, m = 1, L = 3, d = 20 (941 parameters) at IPC 1; SIREN w0 30 (first layer) and 40 (hidden),
#: as the authors' code configures voxel fields.
FIELD_TABLE: dict[int, tuple[int, ...]] = {1: (3, 20, 30, 40)}

#: name -> (classes known without reading the files, description)
DATASETS: dict[str, tuple[tuple[str, ...], str]] = {
    "primitives": (PRIMITIVES, "offline primitives (ddif data make primitives), generated once into the cache"),
    "modelnet10": (MODELNET10, "ModelNet10: official OFF meshes or the PointNet++ resampled release"),
    "modelnet40": (MODELNET40, "ModelNet40: official OFF meshes or the PointNet++ resampled release"),
    "shapenet": (SHAPENET_PART, "ShapeNet-Part (shapenetcore_partanno_segmentation_benchmark_v0_normal)"),
    "folder": ((), "any <root>/<class>/{train,test}/*.{off,obj,ply,stl} tree (classes from the folders)"),
}


class VoxelOptions(StrictModel):
    resolution: int = Field(32, ge=4, le=256, description="Side R of the R^3 occupancy grid (32 in the paper).")
    normalize: Literal["axis", "uniform"] = Field(
        "axis", description="axis: per-axis min-max to the grid (the authors'); uniform: one scale, aspect kept.")
    fill: bool = Field(False, description="Fill the inside of watertight meshes (point files stay surfaces).")
    points: int = Field(10_000, ge=100, le=1_000_000,
                        description="Surface points sampled per mesh (10,000 as the PointNet++ release).")
    skip_bad_files: bool = Field(False, description="Skip (and count) malformed files instead of stopping.")
    cache: bool = Field(True, description="Cache the voxelised grids on disk (uint8, keyed by files and options).")
    cache_dir: str | None = Field(None, description="Cache folder (default $DDIF_CACHE_DIR or ~/.cache/ddif).")
    primitives_per_class: int = Field(40, ge=1, le=100_000,
                                      description="--dataset primitives: training meshes per class.")
    primitives_test_per_class: int = Field(20, ge=1, le=100_000,
                                           description="--dataset primitives: test meshes per class.")
    primitives_seed: int = Field(0, ge=0, description="--dataset primitives: seed of the generated shapes.")


class VoxelModality(Modality):
    """3-D occupancy grids: meshes sampled on the surface (or point clouds) voxelised to R^3."""

    name = "voxel"
    description = ("Voxels: ModelNet10/40 (OFF meshes or PointNet++ points), ShapeNet-Part, mesh folders and "
                   "offline primitives, voxelised to 32^3 (cached); conv3dnet; mesh export (marching cubes).")
    Options = VoxelOptions
    default_dataset = "primitives"
    default_network = "conv3dnet"
    export_formats: ClassVar[tuple[str, ...]] = ("obj", "ply")

    def __init__(self, options: BaseModel | None = None, dataset: str | None = None,
                 data_root: Path | None = None) -> None:
        if dataset is None and data_root is not None:
            dataset = "modelnet10"  # primitives are the default only when there is no data
        super().__init__(options, dataset, data_root)
        self._layout: Layout | None = None
        self._stats: tuple[float, float] | None = None  # training mean and std of the occupancy
        self.skipped: dict[str, int] = {}
        if self.dataset == "folder" and self.data_root is None:
            raise DataError("--dataset folder needs --data-root DIR, a folder with <class>/train/ and <class>/test/ "
                            "mesh folders")
        if self.data_root is not None and self.data_root.is_dir():
            self._adopt(self._find_layout())  # classes from the files (a missing root fails in load)

    # ---- datasets ---------------------------------------------------------------------------------
    @classmethod
    def datasets(cls) -> dict[str, DatasetInfo]:
        return {name: cls._info(name, 32) for name in DATASETS}

    @classmethod
    def dataset_info(cls, dataset: str, options: BaseModel | None = None) -> DatasetInfo:
        super().dataset_info(dataset, options)  # unknown names -> one clear error
        return cls._info(dataset, int(getattr(options, "resolution", 32)))

    @staticmethod
    def _info(name: str, resolution: int) -> DatasetInfo:
        classes, description = DATASETS[name]
        return DatasetInfo(name, (1, resolution, resolution, resolution), classes, description, dict(FIELD_TABLE))

    @classmethod
    def presets(cls) -> dict[str, dict[str, Any]]:
        return PRESETS

    @property
    def _opts(self) -> VoxelOptions:
        return self.options  # type: ignore[return-value]

    def _settings(self) -> VoxelSettings:
        o = self._opts
        return VoxelSettings(resolution=o.resolution, normalize=o.normalize, fill=o.fill, points=o.points)

    def _cache_dir(self) -> Path | None:
        return Path(self._opts.cache_dir) if self._opts.cache_dir else None

    # ---- reading ------------------------------------------------------------------------------
    def _find_layout(self) -> Layout:
        from ddif_voxel.folder import MeshTree
        from ddif_voxel.modelnet import find_modelnet
        from ddif_voxel.shapenet import find_shapenet

        root = self._data_root()
        if self.dataset == "shapenet":
            return find_shapenet(root)
        if self.dataset == "folder":
            if not root.is_dir():
                raise DataError(f"dataset root {root} does not exist or is not a folder")
            return MeshTree(root)
        return find_modelnet(root, 40 if self.dataset == "modelnet40" else 10)

    def _data_root(self) -> Path:
        if self.data_root is not None:
            return self.data_root
        if self.dataset != "primitives":
            raise DataError(f"--dataset {self.dataset} needs --data-root DIR, the folder holding its files "
                            "(without data, --dataset primitives generates an offline stand-in)")
        from ddif_core import generate_into_cache
        from ddif_voxel.generator import PrimitivesGenerator

        o = self._opts
        options = {"per_class": o.primitives_per_class, "test_per_class": o.primitives_test_per_class,
                   "seed": o.primitives_seed}
        with _Bar("generating primitives") as bar:
            return generate_into_cache(PrimitivesGenerator, options, cache_dir=self._cache_dir(), progress=bar)

    def _adopt(self, layout: Layout) -> None:
        self._layout = layout
        if layout.class_names != self.info.class_names:
            self.info = replace(self.info, class_names=layout.class_names)

    def _arrays(self, split: str) -> dict[str, np.ndarray]:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if self._layout is None:
            self._adopt(self._find_layout())
        assert self._layout is not None
        with _Bar(f"voxelising {split}") as bar:
            arrays = split_arrays(self._layout, split, self._settings(), self._opts.skip_bad_files,
                                  self._cache_dir(), self._opts.cache, bar)
        skipped = int(arrays["skipped"][0])
        if skipped and split not in self.skipped:
            print(f"skipped {skipped} malformed file(s) of the {split} split of {self._layout.title} "
                  "(modality.skip_bad_files)", file=sys.stderr)
        self.skipped[split] = skipped
        return arrays

    def load(self, split: str) -> ArrayDataset:
        """The ``split`` grids (cached uint8) as float32 (b, 1, R, R, R), standardised with the training split's
        occupancy mean and standard deviation (one scalar each; the authors standardise every batch instead)."""
        arrays = self._arrays(split)
        if self._stats is None:
            stats = (arrays if split == "train" else self._arrays("train"))["stats"]
            self._stats = (float(stats[0]), float(stats[1]) or 1.0)
        n = int(arrays["count"][0])
        mean, std = self._stats
        return ArrayDataset(arrays["grids"][:n], np.array(arrays["labels"][:n]), list(self.class_names),
                            transform=lambda x: x.sub_(mean).div_(std))

    def load_at(self, split: str, shape: tuple[int, ...]) -> ArrayDataset:
        """``split`` voxelised from its files at another cubic resolution (cached like the native one), standardised
        with the statistics of the run's own training split; non-cubic shapes are resized (:meth:`resize`)."""
        spatial = tuple(int(s) for s in shape[1:])
        if tuple(shape) == tuple(self.sample_shape):
            return self.load(split)
        if shape[0] != 1 or len(spatial) != 3 or len(set(spatial)) != 1:
            return super().load_at(split, shape)  # type: ignore[return-value]
        if self._stats is None:
            self.load("train")
        other = VoxelModality(self._opts.model_copy(update={"resolution": spatial[0]}), self.dataset, self.data_root)
        other._stats, other._layout = self._stats, self._layout
        return other.load(split)

    def state(self) -> dict[str, torch.Tensor]:
        if self._stats is None:
            return {}
        return {"occupancy_mean": torch.tensor([self._stats[0]], dtype=torch.float64),
                "occupancy_std": torch.tensor([self._stats[1]], dtype=torch.float64)}

    def load_state(self, tensors: dict[str, torch.Tensor]) -> None:
        if "occupancy_mean" in tensors and "occupancy_std" in tensors:
            self._stats = (float(tensors["occupancy_mean"].reshape(-1)[0]),
                           float(tensors["occupancy_std"].reshape(-1)[0]))

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """Standardised grids -> occupancy units (1 = occupied); identity before the statistics are known."""
        if self._stats is None:
            return x
        return x * self._stats[1] + self._stats[0]

    # ---- resampling -----------------------------------------------------------------------------
    def resize(self, x: torch.Tensor, shape: tuple[int, ...], mode: str | None = None) -> torch.Tensor:
        """Occupancy-aware resampling of (B, 1, D, H, W) grids to (B, *shape).

        None (default) or "area": a shrinking axis averages the cells it merges (the occupied fraction), a
        growing axis repeats cells (nearest), so grids stay blocky rather than blurred; "max": a merged cell is as
        occupied as its fullest part (thin parts survive). Other modes go to the core's resampler. Standardisation
        is affine with a positive scale, so both rules give the same result before or after it.
        """
        spatial = tuple(int(s) for s in shape[1:])
        if x.dim() != 5 or len(spatial) != 3:
            raise ConfigError(f"voxel grids are (B, m, D, H, W) and resize to (m, D, H, W); got {tuple(x.shape)} -> "
                              f"{tuple(shape)}")
        if tuple(x.shape[2:]) == spatial:
            return x
        if mode not in (None, "area", "max"):
            return super().resize(x, shape, mode)
        grown = tuple(max(a, b) for a, b in zip(x.shape[2:], spatial))
        if grown != tuple(x.shape[2:]):
            x = F.interpolate(x, size=grown, mode="nearest-exact")
        if grown != spatial:
            x = F.adaptive_max_pool3d(x, spatial) if mode == "max" else F.adaptive_avg_pool3d(x, spatial)
        return x

    # ---- for people -------------------------------------------------------------------------------
    def render(self, x: Any, y: torch.Tensor, out_dir: Path, purpose: str, fmt: str | None = None) -> list[Path]:
        """preview: ``preview.png``, three max-projections (front, side, top) per instance, a row per class;
        per-class: ``<label>_<class>.obj``, the class's meshes in a row; compare: ``compare.png``, each
        instance's projections at every shape side by side; export: one mesh per instance
        (``<label>_<class>/<index>.<fmt>``, fmt obj or ply), by marching cubes at occupancy 0.5."""
        from ddif_voxel import render as rendering

        out_dir = Path(out_dir)
        if purpose == "compare":
            grids = [self._occupancy(v) for v in x]
        else:
            grids = self._occupancy(x)
        labels = y.detach().cpu().reshape(-1).tolist()
        names = self.class_names
        if purpose == "preview":
            return rendering.preview(grids, labels, len(names), out_dir)
        if purpose == "per-class":
            return rendering.class_meshes(grids, labels, names, out_dir)
        if purpose == "compare":
            return rendering.compare(grids, labels, len(names), out_dir)
        if purpose == "export":
            fmt = fmt or self.export_formats[0]
            if fmt not in self.export_formats:
                raise ConfigError(f"--format {fmt} is not a voxel export format; use one of "
                                  f"{', '.join(self.export_formats)} or npy")
            paths, empty = rendering.export_meshes(grids, labels, names, out_dir, fmt)
            if empty:
                print(f"{empty} of {len(paths)} decoded grids have no cell above occupancy 0.5; their {fmt} files "
                      "hold empty meshes", file=sys.stderr)
            return paths
        raise ConfigError(f"unknown render purpose {purpose!r}; expected preview, per-class, compare or export")

    def _occupancy(self, x: torch.Tensor) -> np.ndarray:
        """(K, 1, D, H, W) standardised -> (K, D, H, W) float32 occupancy units."""
        return self.denormalize(x.detach().float().cpu())[:, 0].numpy()


class _Bar:
    """A progress bar on stderr that appears only when work is long enough to need it (tqdm)."""

    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.bar: Any = None

    def __enter__(self) -> "_Bar":
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.desc, unit="file", leave=False, mininterval=1.0, delay=2.0,
                            file=sys.stderr)
        self.bar.update(done - self.bar.n)  # drawn only after `delay` seconds, at most every `mininterval`

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
