"""Tiny WAV trees in the real Speech Commands layouts, written by the tests themselves, and their fixtures.

No conftest.py here: the image plugin's tests import helpers from their own ``conftest`` module by name, and a
second ``conftest`` module would shadow it. Test modules import the fixtures they use from this module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ddif_audio.layouts import IDC_WORDS

#: One tone per word, so a classifier can tell the classes apart.
TONES = {w: 300.0 + 250.0 * i for i, w in enumerate(IDC_WORDS)}


def tone(freq: float, rate: int = 16_000, seconds: float = 1.0, amplitude: float = 0.5, phase: float = 0.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def write_tone(path: Path, freq: float, rate: int = 16_000, seconds: float = 1.0, channels: int = 1,
               subtype: str = "PCM_16", phase: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    clip = tone(freq, rate, seconds, phase=phase)
    data = np.stack([clip] * channels, axis=1) if channels > 1 else clip
    sf.write(str(path), data, rate, subtype=subtype, format="WAV")
    return path


def make_speech_commands(root: Path, per_class: int = 4, version: int = 2, words=IDC_WORDS) -> Path:
    """Speech Commands v0.01/v0.02: <word>/<speaker>_nohash_<k>.wav, split lists, _background_noise_, extras."""
    root.mkdir(parents=True, exist_ok=True)
    testing, validation = [], []
    for w in words:
        for i in range(per_class):
            name = f"{i:04x}beef_nohash_{i % 2}.wav"
            write_tone(root / w / name, TONES.get(w, 200.0), phase=0.3 * i, seconds=0.8 + 0.05 * (i % 3))
            if i == 0:
                testing.append(f"{w}/{name}")
            elif i == 1:
                validation.append(f"{w}/{name}")
    extra = "backward" if version == 2 else "bed"  # a word that is not a chosen class is ignored
    write_tone(root / extra / "00000000_nohash_0.wav", 100.0)
    testing.append(f"{extra}/00000000_nohash_0.wav")
    write_tone(root / "_background_noise_" / "white_noise.wav", 50.0, seconds=2.0)
    (root / "README.md").write_text("speech commands\n")
    (root / "LICENSE").write_text("CC-BY-4.0\n")
    (root / "testing_list.txt").write_text("".join(f"{x}\n" for x in testing))
    (root / "validation_list.txt").write_text("".join(f"{x}\n" for x in validation))
    return root


def make_mini(parent: Path, per_class: int = 9) -> Path:
    """Mini Speech Commands as the TF zip extracts: parent/mini_speech_commands/<word>/*.wav plus README.md."""
    root = parent / "mini_speech_commands"
    for w in IDC_WORDS:
        for i in range(per_class):
            write_tone(root / w / f"{i:08x}_nohash_0.wav", TONES[w], phase=0.2 * i)
    (root / "README.md").write_text("mini speech commands\n")
    return parent


@pytest.fixture
def v2_root(tmp_path: Path) -> Path:
    return make_speech_commands(tmp_path / "sc2", version=2)


@pytest.fixture
def mini_parent(tmp_path: Path) -> Path:
    return make_mini(tmp_path / "mini")
