"""The audio modality: one-second speech clips as IDC's 64x64 log-magnitude spectrograms (m=1, n=2)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import BaseModel, Field, field_validator

from ddif_core import (ArrayDataset, ConfigError, DataError, DatasetInfo, Modality, StrictModel, cached_arrays,
                       generate_into_cache, source_key)
from ddif_audio.datasets import DATASETS, FIELD_TABLE, AudioDataset, build_spectrograms
from ddif_audio.layouts import IDC_WORDS, check_words, mini_root, split_files
from ddif_audio.presets import PRESETS
from ddif_audio.standardise import Standardisation

CACHE_VERSION = 1


class AudioOptions(StrictModel):
    size: int = Field(64, ge=8, le=128, description="Side of the square log spectrogram (IDC: 64; tests use 16).")
    classes: list[str] = Field(list(IDC_WORDS), description="Words read as classes, in label order (IDC's 8).")
    split: Literal["lists", "idc"] = Field(
        "lists", description="speech-commands: test = testing_list.txt ('lists') or index % 8 == 0 ('idc').")
    skip_bad_files: bool = Field(False, description="Skip (and count) unreadable WAV files instead of stopping.")
    cache: bool = Field(True, description="Cache the spectrograms on disk (keyed by the files and these options).")
    cache_dir: str | None = Field(None, description="Cache folder (default $DDIF_CACHE_DIR or ~/.cache/ddif).")
    synth_per_class: int = Field(100, ge=2, description="speech-synth: speakers, i.e. files per word.")
    synth_seed: int = Field(0, ge=0, description="speech-synth: seed of the generated data set.")

    @field_validator("classes")
    @classmethod
    def _words(cls, v: list[str]) -> list[str]:
        return check_words(v, "modality.classes")


class AudioModality(Modality):
    """Speech commands as log-magnitude spectrograms (1 x 64 x 64), read from WAV trees or synthesised."""

    name = "audio"
    description = ("Speech: Mini Speech Commands, Speech Commands v0.01/v0.02 (WAV trees) and speech-synth "
                   "(espeak-ng, offline) as IDC's 64x64 log spectrograms; WAV previews by Griffin-Lim.")
    Options = AudioOptions
    default_dataset = "speech-synth"
    default_network = "convnet"
    export_formats: ClassVar[tuple[str, ...]] = ("wav", "png")

    def __init__(self, options: BaseModel | None = None, dataset: str | None = None,
                 data_root: Path | None = None) -> None:
        if dataset is None and data_root is not None:
            dataset = "mini-speech-commands"  # a root on disk is real data; speech-synth is the offline default
        super().__init__(options, dataset, data_root)
        self.spec: AudioDataset = DATASETS[self.dataset]
        self._std: Standardisation | None = None
        opts: AudioOptions = self.options  # type: ignore[assignment]
        if self.spec.layout == "mini" and not set(opts.classes) <= set(IDC_WORDS):
            extra = sorted(set(opts.classes) - set(IDC_WORDS))
            raise ConfigError(f"modality.classes names {', '.join(extra)}, which Mini Speech Commands does not have "
                              f"(its words: {', '.join(IDC_WORDS)})")

    @classmethod
    def datasets(cls) -> dict[str, DatasetInfo]:
        return {name: cls._info(spec, AudioOptions()) for name, spec in DATASETS.items()}

    @classmethod
    def dataset_info(cls, dataset: str, options: BaseModel | None = None) -> DatasetInfo:
        super().dataset_info(dataset, options)  # unknown names -> one clear error
        return cls._info(DATASETS[dataset], options if isinstance(options, AudioOptions) else AudioOptions())

    @staticmethod
    def _info(spec: AudioDataset, opts: AudioOptions) -> DatasetInfo:
        return DatasetInfo(name=spec.name, sample_shape=(1, opts.size, opts.size), class_names=tuple(opts.classes),
                           description=spec.title, field_table=dict(FIELD_TABLE))

    @classmethod
    def presets(cls) -> dict[str, dict[str, Any]]:
        return PRESETS

    # ---- reading -----------------------------------------------------------------------------
    def root(self) -> Path:
        """The folder holding the word folders (generated into the cache for speech-synth without a root)."""
        opts: AudioOptions = self.options  # type: ignore[assignment]
        if self.data_root is None:
            if not self.spec.generated:
                raise DataError(f"{self.spec.title} needs --data-root DIR, the folder holding its word folders "
                                f"(or run without --data-root to use the offline speech-synth)")
            from ddif_audio.generators import SpeechSynth

            options = SpeechSynth.Options(seed=opts.synth_seed, per_class=opts.synth_per_class, words=opts.classes)
            return generate_into_cache(SpeechSynth, options, cache_dir=self._cache_dir())
        if not self.data_root.is_dir():
            raise DataError(f"dataset root {self.data_root} does not exist or is not a folder")
        return mini_root(self.data_root) if self.spec.layout == "mini" else self.data_root

    def _cache_dir(self) -> Path | None:
        opts: AudioOptions = self.options  # type: ignore[assignment]
        return Path(opts.cache_dir) if opts.cache_dir else None

    def _arrays(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Spectrograms (N, 1, S, S) float32 (not standardised) and labels (N,) of ``split``, cached."""
        opts: AudioOptions = self.options  # type: ignore[assignment]
        root = self.root()
        rule = "idc" if self.spec.layout == "mini" else opts.split
        paths, labels = split_files(root, tuple(opts.classes), split, rule)
        skipped: list[tuple[Path, str]] = []

        def build(writer: Any) -> None:
            x = writer.array("x", (len(paths), 1, opts.size, opts.size), np.float32)
            y = writer.array("y", (len(paths),), np.int64)
            n = build_spectrograms(paths, labels, opts.size, x, y, opts.skip_bad_files,
                                   on_skip=lambda p, why: skipped.append((p, why)))
            if n == 0:
                raise DataError(f"no readable WAV file in the {split} split of {root}; expected 16-bit or float WAVs")
            writer.array("count", (1,), np.int64)[0] = n

        key = source_key(paths, {"version": CACHE_VERSION, "size": opts.size, "split": split, "rule": rule,
                                 "classes": opts.classes, "skip_bad_files": opts.skip_bad_files})
        arrays = cached_arrays("spectrograms", key, build, cache_dir=self._cache_dir(), enabled=opts.cache)
        if skipped:
            print(f"warning: skipped {len(skipped)} unreadable WAV file(s) of the {split} split "
                  f"(first: {skipped[0][1]})", file=sys.stderr)
        n = int(arrays["count"][0])
        return arrays["x"][:n], arrays["y"][:n]

    def load(self, split: str) -> ArrayDataset:
        """``split`` as standardised log spectrograms (one scalar mean/std of the training split)."""
        x, y = self._arrays(split)
        if self._std is None:
            self._std = Standardisation.fit(x if split == "train" else self._arrays("train")[0])
        return ArrayDataset(x, np.array(y), list(self.class_names), transform=self._std.apply)

    def state(self) -> dict[str, torch.Tensor]:
        return self._std.state() if self._std is not None else {}

    def load_state(self, tensors: dict[str, torch.Tensor]) -> None:
        self._std = Standardisation.from_state(tensors) or self._std

    # ---- for people ----------------------------------------------------------------------------
    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """Standardised spectrograms -> log magnitudes (as :func:`ddif_audio.spectrogram.log_spectrogram`)."""
        return self._std.undo(x) if self._std is not None else x

    def render(self, x: Any, y: torch.Tensor, out_dir: Path, purpose: str, fmt: str | None = None) -> list[Path]:
        """preview.png (one row per class), per-class ``<label>_<word>.wav``, compare.png (several shapes side
        by side), or one ``wav``/``png`` file per instance (export)."""
        from ddif_audio import render

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        y = y.detach().cpu()
        classes = self.class_names
        if purpose == "compare":
            xs = [self.denormalize(v.detach().float().cpu()) for v in x]
            render.write_compare(xs, y, len(classes), out_dir / "compare.png")
            return [Path("compare.png")]
        x = self.denormalize(x.detach().float().cpu())
        if purpose == "preview":
            render.write_preview(x, y, len(classes), out_dir / "preview.png")
            return [Path("preview.png")]
        if purpose == "per-class":
            return render.write_class_wavs(x, y, classes, out_dir)
        if purpose == "export":
            fmt = fmt or self.export_formats[0]
            if fmt not in self.export_formats:
                raise ConfigError(f"--format {fmt} is not an audio export format; use one of "
                                  f"{', '.join(self.export_formats)} or npy")
            return render.export_instances(x, y, classes, out_dir, fmt)
        return []


def cpu_workers() -> int:
    """Parallel espeak-ng processes: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)
