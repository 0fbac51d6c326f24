"""The video modality: UCF101 / MiniUCF / moving shapes as (3, T, H, W) clips, ConvNet3D, GIF/MP4 renders."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, Field

from ddif_core import ConfigError, DataError, DatasetInfo, Modality, StrictModel
from ddif_video.presets import PRESETS
from ddif_video.shapes import MOTIONS

#: ImageNet mean/std of the video distillation literature, per RGB channel.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
#: Table 8: n=3, L=6, d=40 (8,483 parameters per field) for MiniUCF, every IPC, with the authors' video
#: frequencies w0_first = w0 = 5: (layers, width, w0_first, w0).
FIELD_ROW = (6, 40, 5.0, 5.0)
FIELD_PARAMS = 8483
DATASETS = {
    "moving-shapes": "Moving shapes: procedural clips whose classes differ by motion (generated offline, cached)",
    "ucf101": "UCF101: 101 action classes, UCF-101/<Class>/*.avi with ucfTrainTestlist/ (splits 1-3)",
    "miniucf": "MiniUCF (Wang et al. 2024): 50 UCF101 classes given by their folder_name,label,split CSV",
}


class VideoOptions(StrictModel):
    frames: int = Field(16, ge=1, le=512, description="Frames per clip (16 in the literature).")
    step: int = Field(4, ge=1, le=64, description="Frames between two kept frames (4; L//frames for short clips).")
    size: int = Field(112, ge=8, le=1024, description="Side of the square centre crop (112 from 160x120 frames).")
    split: Literal[1, 2, 3] = Field(1, description="UCF101 split (trainlist0N / testlist0N).")
    classes: list[str] | None = Field(
        None, description="UCF101: keep only these classInd.txt classes, labelled in this order."
    )
    split_csv: str | None = Field(
        None, description="MiniUCF: their folder_name,label,split CSV (default: the one *.csv in --data-root)."
    )
    shapes_classes: int = Field(10, ge=2, le=len(MOTIONS), description="Moving shapes: motion classes generated.")
    shapes_per_class: int = Field(25, ge=2, le=1000, description="Moving shapes: clips generated per class.")
    skip_bad_files: bool = Field(False, description="Skip (and count) undecodable clips instead of stopping.")
    cache: bool = Field(True, description="Keep decoded clips (uint8) in the cache for later runs.")
    cache_dir: str | None = Field(None, description="Cache folder (default $DDIF_CACHE_DIR or ~/.cache/ddif).")


def _info(name: str, o: VideoOptions, classes: tuple[str, ...]) -> DatasetInfo:
    shape = (3, o.frames, o.size, o.size)
    values = 3 * o.frames * o.size * o.size
    # the same field for smaller clips while the budget holds one (else the core's planner sizes it)
    table = {ipc: FIELD_ROW for ipc in range(1, 51) if ipc * values >= FIELD_PARAMS}
    return DatasetInfo(name=name, sample_shape=shape, class_names=classes, description=DATASETS[name],
                       field_table=table)


class VideoModality(Modality):
    """Video clips (3 x T x H x W, field axes t, y, x): UCF101, MiniUCF, generated moving shapes."""

    name = "video"
    description = ("Video: UCF101 and MiniUCF (.avi via PyAV, or frame folders), generated moving shapes; "
                   "ConvNet3D; frame-strip previews, GIF/MP4 export.")
    Options = VideoOptions
    default_dataset = "moving-shapes"
    default_network = "convnet3d"
    export_formats = ("mp4", "gif", "png")

    def __init__(self, options: BaseModel | None = None, dataset: str | None = None,
                 data_root: Path | None = None) -> None:
        super().__init__(options, dataset, data_root)
        self._mean = torch.tensor(MEAN).view(1, 3, 1, 1, 1)
        self._std = torch.tensor(STD).view(1, 3, 1, 1, 1)
        self._root: Path | None = None
        o: VideoOptions = self.options  # type: ignore[assignment]
        if o.classes is not None and self.dataset != "ucf101":
            raise ConfigError(f"modality.classes applies to --dataset ucf101 only, not {self.dataset}")
        if self.dataset == "ucf101" or (self.dataset == "moving-shapes" and self.data_root is not None):
            from ddif_video.ucf101 import find_layout, read_class_index

            layout = find_layout(self._need_root())
            names = tuple(o.classes) if o.classes is not None else read_class_index(layout.lists / "classInd.txt")
            self.info = replace(self.info, class_names=names)
        elif self.dataset == "miniucf":
            from ddif_video.ucf101 import read_csv_split

            self.info = replace(self.info, class_names=read_csv_split(self._csv(), self._need_root(), "train",
                                                                        resolve=False).class_names)

    # ---- what is known without reading ----------------------------------------------------------
    @classmethod
    def datasets(cls) -> dict[str, DatasetInfo]:
        o = VideoOptions()
        return {name: _info(name, o, tuple(MOTIONS[:o.shapes_classes]) if name == "moving-shapes" else ())
                for name in DATASETS}

    @classmethod
    def dataset_info(cls, dataset: str, options: BaseModel | None = None) -> DatasetInfo:
        super().dataset_info(dataset, options)  # unknown names -> one clear error
        o = options if isinstance(options, VideoOptions) else VideoOptions()
        return _info(dataset, o, tuple(MOTIONS[:o.shapes_classes]) if dataset == "moving-shapes" else ())

    @classmethod
    def presets(cls) -> dict[str, dict[str, Any]]:
        return PRESETS

    # ---- shapes and resampling: space only unless the time axis is given ---------------------------
    def shape_at(self, resolution: int | tuple[int, ...]) -> tuple[int, ...]:
        """An int sets height and width (the frames stay); (T, H, W) sets all three; (H, W) space only."""
        m, t = self.sample_shape[0], self.sample_shape[1]
        if isinstance(resolution, int):
            return (m, t, int(resolution), int(resolution))
        res = tuple(int(r) for r in resolution)
        if len(res) == 3:
            return (m, *res)
        if len(res) == 2:
            return (m, t, *res)
        raise ConfigError(f"a video resolution is S, HxW or TxHxW, got {'x'.join(map(str, res))}")

    def resize(self, x: torch.Tensor, shape: tuple[int, ...], mode: str | None = None) -> torch.Tensor:
        """Resample clips (B, 3, T, H, W) to ``shape`` = (3, T', H', W').

        Default: each frame bilinearly (antialiased when shrinking), then time linearly only when T
        changes. ``mode``: nearest | bilinear | bicubic (per frame, time linear) | trilinear | area (3-D).
        """
        size = tuple(int(s) for s in shape[1:])
        if len(size) != 3:
            raise ConfigError(f"a video shape is (channels, T, H, W), got {tuple(shape)}")
        if tuple(x.shape[2:]) == size:
            return x
        mode = mode or "bilinear"
        if mode in ("trilinear", "area"):
            kwargs = {"align_corners": False} if mode == "trilinear" else {}
            return F.interpolate(x, size=size, mode=mode, **kwargs)
        if mode not in ("nearest", "bilinear", "bicubic"):
            raise ConfigError(
                f"resize mode '{mode}' does not fit video; use nearest, bilinear, bicubic, trilinear or area"
            )
        b, c, t, h, w = x.shape
        if (h, w) != size[1:]:
            frames = x.transpose(1, 2).reshape(b * t, c, h, w)
            kwargs: dict[str, Any] = {}
            if mode != "nearest":
                kwargs = {"align_corners": False, "antialias": size[1] < h or size[2] < w}
            frames = F.interpolate(frames, size=size[1:], mode=mode, **kwargs)
            x = frames.reshape(b, t, c, *size[1:]).transpose(1, 2)
        if t != size[0]:
            x = F.interpolate(x, size=size, mode="nearest" if mode == "nearest" else "trilinear",
                              **({} if mode == "nearest" else {"align_corners": False}))
        return x

    # ---- data ------------------------------------------------------------------------------------
    def _need_root(self) -> Path:
        if self.data_root is None:
            raise DataError(f"--dataset {self.dataset} needs --data-root, the folder UCF101 was extracted into "
                            f"(UCF-101/ and ucfTrainTestlist/)")
        return self.data_root

    def _cache_dir(self) -> Path | None:
        o: VideoOptions = self.options  # type: ignore[assignment]
        return Path(o.cache_dir) if o.cache_dir else None

    def _csv(self) -> Path:
        o: VideoOptions = self.options  # type: ignore[assignment]
        if o.split_csv:
            return Path(o.split_csv)
        root = self._need_root()
        found = sorted(root.glob("*.csv"))
        if len(found) != 1:
            raise DataError(
                f"--dataset miniucf needs its folder_name,label,split CSV: set modality.split_csv=FILE "
                f"({root} holds {len(found)} *.csv files)"
            )
        return found[0]

    def _source_root(self) -> Path:
        """The folder read for moving shapes: --data-root, else the generated copy in the cache."""
        if self.data_root is not None:
            return self.data_root
        if self._root is None:
            from ddif_core import generate_into_cache

            from ddif_video.generator import MovingShapes

            o: VideoOptions = self.options  # type: ignore[assignment]
            opts = MovingShapes.Options(classes=o.shapes_classes, per_class=o.shapes_per_class)

            def progress(done: int, total: int) -> None:
                if done == 1 or done % 50 == 0 or done == total:
                    print(f"generating moving shapes into the cache: {done}/{total} clips", file=sys.stderr)

            self._root = Path(generate_into_cache(MovingShapes, opts, cache_dir=self._cache_dir(), progress=progress))
        return self._root

    def clip_list(self, split: str) -> Any:
        """The :class:`~ddif_video.ucf101.ClipList` of ``split``."""
        from ddif_video.ucf101 import find_layout, read_csv_split, read_split

        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        o: VideoOptions = self.options  # type: ignore[assignment]
        if self.dataset == "miniucf":
            clips = read_csv_split(self._csv(), self._need_root(), split)
        elif self.dataset == "ucf101":
            clips = read_split(find_layout(self._need_root()), split, o.split, self.info.class_names
                               if o.classes is not None else None)
        else:
            clips = read_split(find_layout(self._source_root()), split, o.split)
        if tuple(clips.class_names) != tuple(self.class_names):
            raise DataError(
                f"{self.data_root or 'the generated moving shapes'} has classes {', '.join(clips.class_names[:4])}...; "
                f"expected {', '.join(self.class_names[:4])}... (check modality.shapes_classes and --data-root)"
            )
        return clips

    def load(self, split: str) -> Any:
        """``split`` as an ``ArrayDataset`` over uint8 clips (N, 3, T, S, S) cached on disk, normalised per batch."""
        return self._load(split, self.sample_shape)

    def load_at(self, split: str, shape: tuple[int, ...]) -> Any:
        """``split`` read again from the source clips at ``shape`` (square frames), else resized per batch."""
        shape = tuple(int(s) for s in shape)
        if shape[2] == shape[3]:
            return self._load(split, shape)
        return self._load(split, self.sample_shape, resize_to=shape)

    def _load(self, split: str, shape: tuple[int, ...], resize_to: tuple[int, ...] | None = None) -> Any:
        from ddif_core import ArrayDataset

        from ddif_video.clips import DecodeSettings, cached_split

        o: VideoOptions = self.options  # type: ignore[assignment]
        clips = self.clip_list(split)
        settings = DecodeSettings(frames=shape[1], step=o.step, size=shape[2], train=split == "train",
                                  skip_bad_files=o.skip_bad_files)
        x, y = cached_split(clips, settings, self._cache_dir(), o.cache, log=lambda msg: print(msg, file=sys.stderr))
        mean, std = self._mean, self._std

        def transform(batch: torch.Tensor) -> torch.Tensor:  # (b, 3, T, S, S) float 0..255 -> normalised
            out = (batch / 255.0 - mean) / std
            return self.resize(out, resize_to) if resize_to is not None else out

        return ArrayDataset(x, y, list(self.class_names), transform=transform)

    # ---- for people ---------------------------------------------------------------------------------
    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, T, H, W) normalised clips -> RGB values in [0, 1]."""
        return (x * self._std.to(x.device) + self._mean.to(x.device)).clamp_(0.0, 1.0)

    def render(self, x: Any, y: torch.Tensor, out_dir: Path, purpose: str, fmt: str | None = None) -> list[Path]:
        from ddif_video import render

        return render.render(self, x, y, Path(out_dir), purpose, fmt)

