"""The audio datasets (what is known without reading them) and the WAV -> spectrogram build of one split."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ddif_audio.spectrogram import log_spectrogram
from ddif_audio.wav import read_clips

#: Table 8: n=2, m=1, L=3, d=10 (261 parameters per field) at IPC 10 and 20.
FIELD_TABLE = {10: (3, 10), 20: (3, 10)}


@dataclass(frozen=True)
class AudioDataset:
    """Static facts about one audio dataset.

    :param layout: ``mini`` (``[mini_speech_commands/]<word>/*.wav``, IDC's split) or ``lists``
        (Speech Commands v0.01/v0.02 with ``validation_list.txt`` / ``testing_list.txt``).
    :param generated: made offline by a data generator of this plugin (no ``--data-root``).
    """

    name: str
    title: str
    layout: str
    generated: bool = False


DATASETS: dict[str, AudioDataset] = {
    "speech-synth": AudioDataset(
        "speech-synth", "speech-synth: the 8 command words synthesised by espeak-ng (not Speech Commands)",
        "lists", generated=True),
    "mini-speech-commands": AudioDataset(
        "mini-speech-commands", "Mini Speech Commands (8 words, IDC's split: 875 train / 125 test per class)", "mini"),
    "speech-commands": AudioDataset(
        "speech-commands", "Speech Commands v0.01/v0.02 (split lists, or modality.split=idc)", "lists"),
}


def build_spectrograms(paths: Sequence[Path], labels: Sequence[int], size: int, x_out: np.ndarray,
                       y_out: np.ndarray, skip_bad_files: bool = False,
                       on_skip: Callable[[Path, str], None] | None = None, chunk: int = 256) -> int:
    """Read WAV files chunk by chunk into log spectrograms.

    :param x_out: (N, 1, size, size) float32 array (a memory map) filled from row 0 with the files kept.
    :param y_out: (N,) int64 array receiving their labels.
    :returns: how many rows were written (N minus the skipped files).
    """
    count = 0
    for start in range(0, len(paths), chunk):
        clips, kept = read_clips(paths[start:start + chunk], skip_bad_files, on_skip)  # (K, 16000)
        if not kept:
            continue
        with torch.no_grad():
            spec = log_spectrogram(torch.from_numpy(clips), size)  # (K, 1, S, S)
        x_out[count:count + len(kept)] = spec.numpy()
        y_out[count:count + len(kept)] = [labels[start + k] for k in kept]
        count += len(kept)
    return count
