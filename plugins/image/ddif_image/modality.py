"""The image modality: datasets, normalisation, DSA augmentation, previews and PNG export."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel, Field
from torchvision.utils import make_grid

from ddif_core import ConfigError, DataError, DatasetInfo, LabelledData, Modality, StrictModel
from ddif_image.datasets import DATASETS, ImageDataset
from ddif_image.dsa import OPS, apply_dsa, sample_dsa_params
from ddif_image.presets import PRESETS
from ddif_image.zca import ZCA

IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class ImageOptions(StrictModel):
    resolution: int | None = Field(
        None, ge=8, description="Side length for datasets read from image folders (ImageNet subsets: 128/256/512)."
    )
    dsa_strategy: str = Field(
        "color_crop_cutout_flip_scale_rotate",
        description="DSA operations joined by '_' (any of color, crop, cutout, flip, scale, rotate).",
    )
    zca: bool = Field(False, description="ZCA-whiten the images (fitted on the training split; stored in the artifact).")
    zca_eps: float = Field(0.1, gt=0, description="Regulariser added to the eigenvalues of the ZCA whitening.")
    skip_bad_files: bool = Field(
        False, description="Image folders: skip (and count) unreadable image files instead of stopping at the first."
    )
    cache_dir: str | None = Field(
        None, description="Image folders: where decoded images are cached (default $DDIF_CACHE_DIR or ~/.cache/ddif)."
    )
    cache: bool = Field(True, description="Image folders: cache the decoded, resized images on disk.")


class ImageModality(Modality):
    """2-D images (m channels x H x W): MNIST, Fashion-MNIST, CIFAR-10/100, ImageNet subsets, any ImageFolder."""

    name = "image"
    description = ("Images: Fashion-MNIST/MNIST (IDX), CIFAR-10/100 (python batches), ImageNet subsets and any "
                   "ImageFolder (JPEG trees, cached); ConvNet, AlexNet, VGG11, ResNet18, ViT; DSA; ZCA.")
    Options = ImageOptions
    default_dataset = "fashion-mnist"
    default_network = "convnet"

    def __init__(self, options: BaseModel | None = None, dataset: str | None = None,
                 data_root: Path | None = None) -> None:
        super().__init__(options, dataset, data_root)
        self.spec: ImageDataset = DATASETS[self.dataset]
        if self.spec.reader == "folder" and not self.spec.folders:  # the user's ImageFolder: classes from disk
            from ddif_image.folder import discover_classes

            if self.data_root is None:
                raise DataError(
                    "--dataset folder needs --data-root DIR, a folder with train/<class>/ and val/<class>/ image folders"
                )
            if not self.data_root.is_dir():
                raise DataError(f"dataset root {self.data_root} does not exist or is not a folder")
            classes = discover_classes(self.data_root)
            self.spec = replace(self.spec, title=f"image folder {self.data_root}", classes=classes, folders=classes)
            self.info = replace(self.info, class_names=classes)
        opts: ImageOptions = self.options  # type: ignore[assignment]
        if opts.resolution is not None and self.spec.size is not None and opts.resolution != self.spec.size:
            raise ConfigError(
                f"modality.resolution={opts.resolution} applies to image-folder datasets only; {self.spec.title} is "
                f"{self.spec.size}x{self.spec.size} (evaluate at another resolution with ddif eval --resolution)"
            )
        ops = tuple(opts.dsa_strategy.split("_")) if opts.dsa_strategy else ()
        unknown = [op for op in ops if op not in OPS]
        if unknown:
            raise ConfigError(
                f"modality.dsa_strategy has unknown operation(s) {', '.join(unknown)}; use any of {', '.join(OPS)}"
            )
        self.dsa_ops = ops
        self._mean = torch.tensor(self.spec.mean).view(1, -1, 1, 1)
        self._std = torch.tensor(self.spec.std).view(1, -1, 1, 1)
        self._zca: ZCA | None = None

    @classmethod
    def datasets(cls) -> dict[str, DatasetInfo]:
        return {name: cls._info(spec, None) for name, spec in DATASETS.items()}

    @classmethod
    def dataset_info(cls, dataset: str, options: BaseModel | None = None) -> DatasetInfo:
        super().dataset_info(dataset, options)  # unknown names -> one clear error
        res = getattr(options, "resolution", None)
        return cls._info(DATASETS[dataset], res)

    @staticmethod
    def _info(spec: ImageDataset, resolution: int | None) -> DatasetInfo:
        size = spec.size if spec.size is not None else (resolution or 128)
        return DatasetInfo(
            name=spec.name,
            sample_shape=(spec.channels, size, size),
            class_names=spec.classes,
            description=spec.title,
            field_table=spec.fields.get(size, {}),
        )

    @classmethod
    def presets(cls) -> dict[str, dict[str, Any]]:
        return PRESETS

    # ---- reading -----------------------------------------------------------------------------
    def _root(self) -> Path:
        root = self.data_root or (Path(self.spec.default_root) if self.spec.default_root else None)
        if root is None:
            what = ("an ImageNet-style folder with train/<wnid>/ and val/<wnid>/ image folders"
                    if self.spec.reader == "folder" else "the folder holding its files")
            raise DataError(f"{self.spec.title} needs --data-root, {what}")
        if not root.is_dir():
            hint = " (install Debian's dataset-fashion-mnist or pass --data-root)" if self.dataset == "fashion-mnist" else ""
            raise DataError(f"dataset root {root} does not exist or is not a folder{hint}")
        return root

    def load(self, split: str) -> LabelledData:
        """Read ``split`` as pixels in [0, 1] normalised with the dataset's mean/std; with ``modality.zca``,
        ZCA-whitened instead, the whitening fitted and applied on the un-normalised [0, 1] pixels (as MTT
        and the authors' TM code do with kornia, eps 0.1), not after mean/std normalisation."""
        zca = bool(getattr(self.options, "zca", False))
        data = self._load_normalised(split, normalise=not zca)
        if not zca:
            return data
        if self._zca is None:
            train = data if split == "train" else self._load_normalised("train", normalise=False)
            self._zca = ZCA.fit(train.x, getattr(self.options, "zca_eps", 0.1))
        return LabelledData(self._zca.whiten(data.x), data.y, data.class_names)

    def load_at(self, split: str, shape: tuple[int, ...]) -> Any:
        """``split`` at another (C, H, W): datasets read from image folders are read from their source files
        at that size (the paper's Table 13: the test images are the dataset's own images at the target
        resolution); the others resize the loaded tensors (the base class)."""
        shape = tuple(int(s) for s in shape)
        if shape == tuple(self.sample_shape):
            return self.load(split)
        if getattr(self.options, "zca", False):
            raise ConfigError(
                f"modality.zca whitens {self.sample_shape[1]}x{self.sample_shape[2]} images with a matrix fitted at "
                f"that size; a ZCA run is evaluated at its own resolution only"
            )
        if self.spec.reader != "folder" or shape[0] != self.spec.channels or shape[1] != shape[2]:
            return super().load_at(split, shape)
        return self._load_normalised(split, size=shape[1])

    def state(self) -> dict[str, torch.Tensor]:
        return self._zca.state() if self._zca is not None else {}

    def load_state(self, tensors: dict[str, torch.Tensor]) -> None:
        if "zca_matrix" in tensors:
            self._zca = ZCA.from_state(tensors)

    def _load_normalised(self, split: str, normalise: bool = True, size: int | None = None) -> LabelledData:
        """``split`` as (N, C, H, W) float32 pixels in [0, 1], minus the mean over the std when ``normalise``;
        ``size``: the side image folders are read at (default the run's)."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        root = self._root()
        if self.spec.reader == "idx":
            images, labels = self._read_idx(root, split)
        elif self.spec.reader == "cifar":
            from ddif_image.cifar import read_cifar

            images, labels = read_cifar(root, self.dataset, split)
        else:
            images, labels = self._read_folder(root, split, size)
        x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0)
        if x.dim() == 3:
            x = x.unsqueeze(1)  # (N, 1, H, W)
        if normalise:
            x = (x - self._mean) / self._std
        y = torch.from_numpy(labels.astype(np.int64))
        return LabelledData(x, y, list(self.spec.classes))

    def _read_folder(self, root: Path, split: str, size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        from ddif_image.folder import default_cache_dir, load_folder_split

        opts: ImageOptions = self.options  # type: ignore[assignment]
        cache = (Path(opts.cache_dir) if opts.cache_dir else default_cache_dir()) if opts.cache else None
        return load_folder_split(root, split, self.spec.folders, size or self.sample_shape[1], cache_dir=cache,
                                 skip_bad_files=opts.skip_bad_files, tag=self.dataset)

    def _read_idx(self, root: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
        from ddif_image.idx import IDXError, read_idx, read_idx_labels

        paths = []
        for stem in IDX_FILES[split]:
            found = [root / f"{stem}{ext}" for ext in (".gz", "") if (root / f"{stem}{ext}").is_file()]
            if not found:
                expected = ", ".join(f"{s}[.gz]" for pair in IDX_FILES.values() for s in pair)
                raise DataError(f"{root} has no {stem}[.gz]; expected the {self.spec.title} IDX files {expected}")
            paths.append(found[0])
        try:
            images = read_idx(paths[0])
            if images.ndim != 3 or images.dtype != np.uint8 or images.shape[1:] != (28, 28):
                raise DataError(
                    f"{paths[0]} holds {images.dtype} data of shape {images.shape}, expected uint8 (type code 0x08) "
                    f"of shape (N, 28, 28)"
                )
            labels = read_idx_labels(paths[1], len(self.spec.classes), images.shape[0])
        except IDXError as exc:
            raise DataError(str(exc)) from None
        return images, labels

    # ---- augmentation ----------------------------------------------------------------------
    def sample_augmentation(self, num_slots: int, generator: torch.Generator) -> Any | None:
        return sample_dsa_params(num_slots, generator, self.dsa_ops) if self.dsa_ops else None

    def sample_siamese_augmentation(self, num_slots: int, generator: torch.Generator) -> Any | None:
        """One DSA operation and one row per slot (DSA's siamese draw; DM/DC use one slot per class)."""
        return sample_dsa_params(num_slots, generator, self.dsa_ops, per_slot_op=True) if self.dsa_ops else None

    def augment(self, x: torch.Tensor, params: Any | None, slots: torch.Tensor | None = None) -> torch.Tensor:
        return x if params is None else apply_dsa(x, params, slots)

    # ---- for people ----------------------------------------------------------------------------
    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) model-space images -> pixels in [0, 1] (ZCA whitens [0, 1] pixels: un-whitening is all)."""
        if self._zca is not None:
            return self._zca.unwhiten(x).clamp_(0.0, 1.0)
        return (x * self._std.to(x.device) + self._mean.to(x.device)).clamp_(0.0, 1.0)

    def _to_uint8(self, x: torch.Tensor) -> np.ndarray:
        """One normalised instance (C, H, W) -> (H, W, C) uint8 pixels."""
        img = self.denormalize(x.detach().float().cpu()[None].clone())[0].mul_(255.0).round_().to(torch.uint8)
        return img.permute(1, 2, 0).numpy()

    def preview(self, x: torch.Tensor, y: torch.Tensor, path: Path, max_per_class: int = 10) -> None:
        """A PNG grid: one row per class, up to ``max_per_class`` decoded instances per row."""
        x = self.denormalize(x.detach().float().clone())
        per_row = min(max_per_class, max(int((y == c).sum()) for c in y.unique()))
        tiles = []
        for c in range(self.info.num_classes):
            items = x[y == c][:per_row]
            blank = torch.ones(per_row - items.shape[0], *x.shape[1:])  # short rows padded with white
            tiles.append(torch.cat([items, blank]))
        _save_grid(torch.cat(tiles), per_row, path)

    def preview_classes(self, x: torch.Tensor, y: torch.Tensor, out_dir: Path, max_per_class: int = 100) -> list[str]:
        """``<label>_<class>.png`` per class: a square-ish grid of up to ``max_per_class`` of its instances."""
        x = self.denormalize(x.detach().float().clone())
        names = []
        for c in range(self.info.num_classes):
            items = x[y == c][:max_per_class]
            if items.shape[0] == 0:
                continue
            name = f"{c:03d}_{_safe(self.class_names[c])}.png"
            _save_grid(items, math.ceil(math.sqrt(items.shape[0])), out_dir / name)
            names.append(name)
        return names

    def preview_compare(self, xs: list[torch.Tensor], y: torch.Tensor, path: Path, max_per_class: int = 5) -> None:
        """Per class, up to ``max_per_class`` instances, each shown at every resolution of ``xs`` side by side.

        Every version is drawn at the largest size with nearest-neighbour scaling, so pixels are
        shown as they are (a coarse grid looks blocky, a field decoded on a fine grid does not).
        """
        side = max(max(v.shape[2], v.shape[3]) for v in xs)
        shown = [F.interpolate(self.denormalize(v.detach().float().clone()), size=(side, side), mode="nearest")
                 for v in xs]
        per_class = min(max_per_class, max(int((y == c).sum()) for c in y.unique()))
        tiles = []
        for c in range(self.info.num_classes):
            idx = torch.nonzero(y == c).flatten()[:per_class].tolist()
            for i in range(per_class):
                for v in shown:
                    tiles.append(v[idx[i]] if i < len(idx) else torch.ones_like(v[0]))
        _save_grid(torch.stack(tiles), per_class * len(xs), path)

    def export(self, x: torch.Tensor, y: torch.Tensor, out_dir: Path) -> list[str]:
        """One PNG per instance under ``out_dir/<class>/``; returns the relative paths."""
        from PIL import Image

        out: list[str] = []
        counters: dict[int, int] = {}
        for img, label in zip(x, y.tolist()):
            folder = f"{label:03d}_{_safe(self.class_names[label])}"
            (out_dir / folder).mkdir(parents=True, exist_ok=True)
            idx = counters.get(label, 0)
            counters[label] = idx + 1
            arr = self._to_uint8(img)
            rel = f"{folder}/{idx:05d}.png"
            Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr).save(out_dir / rel, format="PNG")
            out.append(rel)
        return out


def _safe(name: str) -> str:
    """A class name as a portable file-name part."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name)


def _save_grid(tiles: torch.Tensor, nrow: int, path: Path) -> None:
    """Save images (N, C, H, W) in [0, 1] as one PNG grid with ``nrow`` per row (white padding)."""
    from PIL import Image

    grid = make_grid(tiles, nrow=nrow, padding=2, pad_value=1.0)
    arr = grid.mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    Image.fromarray(arr[..., 0] if tiles.shape[1] == 1 else arr).save(path, format="PNG")  # L or RGB
