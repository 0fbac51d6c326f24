"""The signal modality: 1-D series (m channels x L points), n = 1 neural fields.

Datasets: ``waves`` (generated offline by ``signal-waves`` into the cache, the default) and ``ucr``
(any dataset of the UCR time-series archive, read from ``--data-root``). Values are standardised with
one mean and standard deviation of the training split, kept in :meth:`state` so a saved run is shown
in the original units.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel, Field

from ddif_core import ConfigError, DatasetInfo, LabelledData, Modality, StrictModel, generate_into_cache
from ddif_signal.generator import DATASET_NAME, WAVES, WavesGenerator
from ddif_signal.presets import PRESETS
from ddif_signal.render import grid_png, single_png, write_csv
from ddif_signal.ucr import find_dataset, read_split, resample_series

#: Table-8-style field sizes for 1-D series, ``{ipc: (layers, width)}`` (61 and 141 parameters).
FIELDS = {1: (2, 6), 10: (2, 10)}


class SignalOptions(StrictModel):
    name: str | None = Field(None, description="UCR dataset name under --data-root (default: the only one there).")
    length: int | None = Field(
        None, ge=8, le=65_536, description="Resample every series to this many points (default: as stored; waves 128)."
    )
    per_class: int = Field(40, ge=2, le=100_000, description="waves: training series per class when generated.")


class SignalModality(Modality):
    """1-D signals: the UCR archive layout or generated waves."""

    name = "signal"
    description = "1-D signals: UCR time-series archive (<Name>/<Name>_TRAIN.tsv) or generated waves; line plots."
    Options = SignalOptions
    default_dataset = "waves"
    default_network = "convnet"
    export_formats: ClassVar[tuple[str, ...]] = ("csv", "png")

    def __init__(self, options: BaseModel | None = None, dataset: str | None = None,
                 data_root: Path | None = None) -> None:
        super().__init__(options, dataset, data_root)
        self._mean, self._std = 0.0, 1.0
        self._fitted = False
        if self.dataset == "ucr":
            if self.data_root is None:
                raise ConfigError("--dataset ucr needs --data-root DIR, a folder with <Name>/<Name>_TRAIN.tsv")
            train = self._read("train")
            classes = sorted(set(train.labels), key=float)
            self.info = DatasetInfo("ucr", (1, train.values.shape[1]), tuple(classes),
                                    f"UCR dataset {self._ucr_name}", FIELDS)

    @classmethod
    def datasets(cls) -> dict[str, DatasetInfo]:
        return {
            "waves": DatasetInfo("waves", (1, 128), WAVES, "generated noisy waves (ddif data make signal-waves)", FIELDS),
            "ucr": DatasetInfo("ucr", (1, 128), (), "a UCR archive dataset from --data-root", FIELDS),
        }

    @classmethod
    def dataset_info(cls, dataset: str, options: BaseModel | None = None) -> DatasetInfo:
        info = super().dataset_info(dataset, options)
        length = getattr(options, "length", None)
        if length is None:  # ucr: the stored length, read in __init__
            return info
        return DatasetInfo(info.name, (1, length), info.class_names, info.description, info.field_table)

    @classmethod
    def presets(cls) -> dict[str, dict[str, Any]]:
        return PRESETS

    # ---- reading -----------------------------------------------------------------------------
    def _folder(self) -> Path:
        o: SignalOptions = self.options  # type: ignore[assignment]
        root = self.data_root
        if root is None:  # the default dataset: generated once into the cache
            root = generate_into_cache(WavesGenerator, {"per_class": o.per_class, "length": o.length or 128})
        name = o.name or (DATASET_NAME if self.dataset == "waves" else None)
        self._ucr_name, folder = find_dataset(root, name)
        return folder

    def _read(self, split: str) -> Any:
        folder = self._folder()
        data = read_split(folder / f"{self._ucr_name}_{'TRAIN' if split == 'train' else 'TEST'}.tsv")
        length = self.sample_shape[1] if self.dataset == "waves" else getattr(self.options, "length", None)
        if length is not None and data.values.shape[1] != length:
            values = np.stack([resample_series(r, length) for r in data.values]).astype(np.float32)
            data = type(data)(values, data.labels)
        return data

    def load(self, split: str) -> LabelledData:
        data = self._read(split)
        names = self.class_names
        if self.dataset == "waves":  # files label the waves 1..4
            index = {str(i + 1): i for i in range(len(names))}
        else:
            index = {name: i for i, name in enumerate(names)}
        unknown = sorted(set(data.labels) - set(index))
        if unknown:
            raise ConfigError(
                f"the {split} split of {self._ucr_name} has label(s) {', '.join(unknown[:5])} that the training split "
                f"does not have"
            )
        y = torch.tensor([index[label] for label in data.labels], dtype=torch.int64)
        x = torch.from_numpy(data.values).unsqueeze(1)  # (N, 1, L)
        if split == "train" and not self._fitted:
            self._mean, self._std = float(x.mean()), float(x.std()) or 1.0
            self._fitted = True
        return LabelledData((x - self._mean) / self._std, y, names)

    # ---- state kept with the artifact --------------------------------------------------------
    def state(self) -> dict[str, torch.Tensor]:
        return {"mean_std": torch.tensor([self._mean, self._std], dtype=torch.float64)}

    def load_state(self, tensors: dict[str, torch.Tensor]) -> None:
        if "mean_std" in tensors:
            self._mean, self._std = (float(v) for v in tensors["mean_std"])
            self._fitted = True

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        return x * self._std + self._mean

    # ---- for people --------------------------------------------------------------------------
    def render(self, x: Any, y: torch.Tensor, out_dir: Path, purpose: str, fmt: str | None = None) -> list[Path]:
        """Line plots (preview, per-class, compare) and one CSV or PNG per series (export)."""
        out_dir = Path(out_dir)
        xs = [t.detach().cpu() for t in x] if isinstance(x, (list, tuple)) else [x.detach().cpu()]
        series = [self.denormalize(t).numpy() for t in xs]  # each (K, m, L_j)
        labels = y.tolist()
        names = self.class_names
        if purpose == "export":
            return self._export(series[0], labels, out_dir, fmt or self.export_formats[0])
        by_class = {c: [i for i, label in enumerate(labels) if label == c] for c in range(len(names))}
        if purpose == "per-class":
            out = []
            for c, idx in by_class.items():
                rel = Path(f"{c}_{names[c]}.png")
                grid_png([(names[c], [[s[i] for s in series] for i in idx[:100]])], out_dir / rel)
                out.append(rel)
            return out
        if purpose in ("preview", "compare"):
            per = 10 if purpose == "preview" else 5
            rows = [(names[c], [[s[i] for s in series] for i in idx[:per]]) for c, idx in by_class.items()]
            grid_png(rows, out_dir / "preview.png", per_row=per)
            return [Path("preview.png")]
        return []

    def _export(self, values: np.ndarray, labels: list[int], out_dir: Path, fmt: str) -> list[Path]:
        if fmt not in self.export_formats:
            raise ConfigError(f"--format {fmt} is not a signal export format (choose {', '.join(self.export_formats)}, npy)")
        out = []
        for i, (v, label) in enumerate(zip(values, labels)):
            rel = Path(f"{label}_{self.class_names[label]}") / f"{i:05d}.{fmt}"
            (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            if fmt == "csv":
                write_csv(v, out_dir / rel)
            else:
                single_png([v], out_dir / rel)
            out.append(rel)
        return out
