"""The image modality: datasets, normalisation, DSA augmentation, previews and PNG export."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel, Field

from ddif_core import ConfigError, DataError, DatasetInfo, LabelledData, Modality, StrictModel
from ddif_image.datasets import DATASETS, ImageDataset
from ddif_image.dsa import OPS, apply_dsa, sample_dsa_params
from ddif_image.presets import PRESETS
from ddif_image.render import MIN_TILE, PER_ROW, band_sheet, safe_name, save_png, upscale
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
        from ddif_core import default_cache_dir
        from ddif_image.folder import load_folder_split

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
    export_formats = ("png",)

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) model-space images -> pixels in [0, 1] (ZCA whitens [0, 1] pixels: un-whitening is all)."""
        if self._zca is not None:
            return self._zca.unwhiten(x).clamp_(0.0, 1.0)
        return (x * self._std.to(x.device) + self._mean.to(x.device)).clamp_(0.0, 1.0)

    def render(self, x: Any, y: torch.Tensor, out_dir: Path, purpose: str, fmt: str | None = None) -> list[Path]:
        """PNGs: ``preview.png`` (a labelled band per class), ``<label>_<class>.png`` per class, ``compare.png``
        (each instance at every resolution side by side) and one PNG per instance (``export``)."""
        y = y.detach().cpu()
        if purpose == "compare":
            return [self._compare([self._pixels(v) for v in x], y, out_dir / "compare.png")]
        pixels = self._pixels(x)
        if purpose == "preview":
            return [self._overview(pixels, y, out_dir / "preview.png")]
        if purpose == "per-class":
            return self._per_class(pixels, y, out_dir)
        if purpose == "export":
            if fmt not in (None, "png"):
                raise ConfigError(f"modality 'image' exports png, not {fmt!r}")
            return self._export(pixels, y, out_dir)
        return []

    def _pixels(self, x: torch.Tensor) -> torch.Tensor:
        return self.denormalize(x.detach().float().cpu().clone())

    def _title(self, c: int, shown: int, total: int) -> str:
        more = f", {shown} shown" if shown < total else ""
        return f"{c}: {self.class_names[c]} ({total}{more})"

    def _overview(self, pixels: torch.Tensor, y: torch.Tensor, path: Path, max_per_class: int = 20) -> Path:
        """One band per class, labelled, up to ``max_per_class`` instances upscaled to >= 64 px."""
        tiles = upscale(pixels)
        bands = []
        for c in range(self.info.num_classes):
            items = tiles[y == c]
            bands.append((self._title(c, min(len(items), max_per_class), len(items)), list(items[:max_per_class])))
        band_sheet(bands, path)
        return Path(path.name)

    def _per_class(self, pixels: torch.Tensor, y: torch.Tensor, out_dir: Path, max_per_class: int = 100) -> list[Path]:
        """``<label>_<class>.png``: one labelled sheet of up to ``max_per_class`` instances per class."""
        tiles = upscale(pixels)
        names = []
        for c in range(self.info.num_classes):
            items = tiles[y == c]
            if items.shape[0] == 0:
                continue
            name = Path(f"{c:03d}_{safe_name(self.class_names[c])}.png")
            shown = min(len(items), max_per_class)
            band_sheet([(self._title(c, shown, len(items)), list(items[:shown]))], out_dir / name,
                       per_row=max(PER_ROW, math.ceil(math.sqrt(shown))))
            names.append(name)
        return names

    def _compare(self, versions: list[torch.Tensor], y: torch.Tensor, path: Path, max_per_class: int = 5) -> Path:
        """Per class, up to ``max_per_class`` instances, each at every resolution side by side, all drawn at the
        largest size with nearest-neighbour scaling (a coarse grid looks blocky, a finely decoded field not)."""
        largest = max(max(v.shape[2], v.shape[3]) for v in versions)
        side = largest * max(1, math.ceil(MIN_TILE / largest))  # an integer factor of the finest grid
        shown = [upscale(v, side) for v in versions]
        sizes = " | ".join("x".join(map(str, v.shape[2:])) for v in versions)
        bands, most = [], 1
        for c in range(self.info.num_classes):
            idx = torch.nonzero(y == c).flatten()[:max_per_class].tolist()
            most = max(most, len(idx))
            bands.append((f"{self._title(c, len(idx), int((y == c).sum()))}  [{sizes}]",
                          [v[i] for i in idx for v in shown]))
        band_sheet(bands, path, per_row=len(versions) * most)
        return Path(path.name)

    def _export(self, pixels: torch.Tensor, y: torch.Tensor, out_dir: Path) -> list[Path]:
        """One PNG per instance at its own size, ``<label>_<class>/<index in class>.png``, in instance order."""
        out: list[Path] = []
        counters: dict[int, int] = {}
        for img, label in zip(pixels, y.tolist()):
            folder = out_dir / f"{label:03d}_{safe_name(self.class_names[label])}"
            folder.mkdir(parents=True, exist_ok=True)
            idx = counters.get(label, 0)
            counters[label] = idx + 1
            save_png(img, folder / f"{idx:05d}.png")
            out.append((folder / f"{idx:05d}.png").relative_to(out_dir))
        return out
