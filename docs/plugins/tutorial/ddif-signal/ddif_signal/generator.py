"""``ddif data make signal-waves``: four classes of noisy waveforms in the UCR layout, offline.

Classes differ by wave shape (sine, chirp, square, sawtooth); frequency, phase, amplitude and
offset are random in every class, and Gaussian noise is added, so a class is not one template.
The output is byte-identical for a seed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import Field

from ddif_core import DataGenerator, GeneratorOptions
from ddif_signal.ucr import write_split

#: Class labels as written in the files (UCR labels are numbers) and the names shown to people.
WAVES = ("sine", "chirp", "square", "sawtooth")
DATASET_NAME = "Waves"


class WavesOptions(GeneratorOptions):
    per_class: int = Field(40, ge=1, le=100_000, description="Training series per class.")
    test_per_class: int = Field(20, ge=1, le=100_000, description="Test series per class.")
    length: int = Field(128, ge=8, le=65_536, description="Points per series.")
    noise: float = Field(0.1, ge=0, le=10, description="Standard deviation of the added Gaussian noise.")


def waves(kind: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """(N, length) series of the wave kinds ``kind`` (N,) (indices into :data:`WAVES`), batched."""
    n = kind.shape[0]
    t = np.linspace(0.0, 1.0, length)[None, :]  # (1, L)
    freq = rng.uniform(2.0, 6.0, (n, 1))
    phase = rng.uniform(0.0, 2 * np.pi, (n, 1))
    amp = rng.uniform(0.5, 1.5, (n, 1))
    offset = rng.uniform(-0.5, 0.5, (n, 1))
    cycles = freq * t + phase / (2 * np.pi)  # (N, L) position in cycles
    sine = np.sin(2 * np.pi * cycles)
    chirp = np.sin(2 * np.pi * (freq * t * (1.0 + 2.0 * t)) + phase)  # frequency rises over time
    square = np.sign(sine)
    saw = 2.0 * (cycles - np.floor(cycles + 0.5))
    shapes = np.stack([sine, chirp, square, saw])  # (4, N, L)
    return amp * shapes[kind, np.arange(n)] + offset


class WavesGenerator(DataGenerator):
    """Noisy sine, chirp, square and sawtooth waves in the UCR archive layout."""

    name = "signal-waves"
    modality = "signal"
    description = "Noisy sine / chirp / square / sawtooth waves (4 classes) in the UCR layout, offline."
    Options = WavesOptions

    def make(self, out_dir: Path, options: GeneratorOptions,
             progress: Callable[[int, int], None] | None = None) -> None:
        o: WavesOptions = options  # type: ignore[assignment]
        rng = np.random.default_rng(o.seed)
        folder = Path(out_dir) / DATASET_NAME
        folder.mkdir(parents=True, exist_ok=True)
        for step, (split, per_class) in enumerate((("TRAIN", o.per_class), ("TEST", o.test_per_class))):
            kind = np.repeat(np.arange(len(WAVES)), per_class)
            kind = kind[rng.permutation(kind.shape[0])]
            values = waves(kind, o.length, rng) + o.noise * rng.standard_normal((kind.shape[0], o.length))
            write_split(folder / f"{DATASET_NAME}_{split}.tsv", values, (kind + 1).tolist())
            if progress is not None:
                progress(step + 1, 2)
