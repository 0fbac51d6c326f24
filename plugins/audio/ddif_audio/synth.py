"""Speech-synth: the eight command words spoken by espeak-ng, written in the Speech Commands layout.

There is no Speech Commands copy on this kind of machine, so this makes an offline stand-in that exercises
the real reader: ``<word>/<speaker>_nohash_0.wav`` (16 kHz mono 16-bit PCM, one second), ``validation_list.txt``,
``testing_list.txt`` (speakers, not files, are split, as in Speech Commands), ``_background_noise_/`` and a
README saying what it is. Every "speaker" is an espeak-ng voice variant with its own pitch, speed and
loudness; each utterance adds a small jitter, a random start within the second, and background noise
(white, pink or brown) at a random SNR. All random choices come from one ``numpy`` generator seeded by
``seed``, and espeak-ng is deterministic, so a seed gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ddif_core import DataError
from ddif_audio.layouts import IDC_WORDS, SPLIT_LISTS
from ddif_audio.wav import CLIP_SAMPLES, SAMPLE_RATE, read_audio, resample, write_wav

VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2", "croak")
NOISES = ("white", "pink", "brown")
INSTALL_HINT = "espeak-ng is not installed; run 'apt-get install espeak-ng' (Debian/Ubuntu) to synthesise speech"


@dataclass(frozen=True)
class Utterance:
    """Everything needed to make one file, drawn up front so the files do not depend on thread timing."""

    word: str
    speaker: str
    variant: str
    wpm: int
    pitch: int
    amplitude: int
    start: float  # fraction of the free time before the word
    noise: str
    snr_db: float
    noise_seed: int


def espeak_path() -> str:
    """The espeak-ng executable, or :class:`DataError` with the install command."""
    found = shutil.which("espeak-ng")
    if found is None:
        raise DataError(INSTALL_HINT)
    return found


def plan(words: Sequence[str], per_class: int, seed: int, snr_db: tuple[float, float]) -> list[Utterance]:
    """Draw the speakers (one per file index) and each utterance's settings."""
    rng = np.random.default_rng(seed)
    speakers: list[tuple[str, str, int, int, int]] = []
    used: set[str] = set()
    while len(speakers) < per_class:
        sid = f"{int(rng.integers(0, 2**32)):08x}"
        if sid in used:  # file names must be unique
            continue
        used.add(sid)
        speakers.append((sid, VARIANTS[int(rng.integers(len(VARIANTS)))], int(rng.integers(120, 220)),
                         int(rng.integers(20, 80)), int(rng.integers(70, 160))))
    out = []
    for word in words:
        for sid, variant, wpm, pitch, amp in speakers:
            out.append(Utterance(
                word=word, speaker=sid, variant=variant,
                wpm=int(np.clip(wpm + rng.integers(-15, 16), 80, 260)),
                pitch=int(np.clip(pitch + rng.integers(-8, 9), 0, 99)),
                amplitude=int(np.clip(amp + rng.integers(-10, 11), 20, 200)),
                start=float(rng.random()), noise=NOISES[int(rng.integers(len(NOISES)))],
                snr_db=float(rng.uniform(*snr_db)), noise_seed=int(rng.integers(0, 2**31)),
            ))
    return out


def coloured_noise(kind: str, samples: int, rng: np.random.Generator) -> np.ndarray:
    """(samples,) unit-RMS noise: white (flat), pink (1/f power) or brown (1/f^2 power)."""
    white = rng.standard_normal(samples)
    if kind != "white":
        spectrum = np.fft.rfft(white)
        f = np.arange(spectrum.shape[0], dtype=np.float64)
        f[0] = 1.0
        spectrum /= np.sqrt(f) if kind == "pink" else f
        white = np.fft.irfft(spectrum, samples)
    return (white / (np.sqrt(np.mean(white**2)) + 1e-12)).astype(np.float32)


def speak(exe: str, u: Utterance, folder: Path) -> tuple[np.ndarray, int]:
    """Run espeak-ng for one utterance; returns its samples and rate (22,050 Hz)."""
    path = folder / f"{u.word}-{u.speaker}.wav"
    cmd = [exe, "-v", f"en+{u.variant}", "-s", str(u.wpm), "-p", str(u.pitch), "-a", str(u.amplitude),
           "-w", str(path), u.word]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0 or not path.is_file():
        raise DataError(f"espeak-ng failed on '{u.word}' with voice en+{u.variant} "
                        f"({done.stderr.strip() or 'exit ' + str(done.returncode)}); expected a WAV file")
    return read_audio(path)


def place(speech: np.ndarray, u: Utterance) -> np.ndarray:
    """The word at its start offset in one second of background noise at the utterance's SNR."""
    speech = speech[:CLIP_SAMPLES]
    clip = np.zeros(CLIP_SAMPLES, dtype=np.float32)
    begin = int(u.start * (CLIP_SAMPLES - speech.shape[0]))
    clip[begin:begin + speech.shape[0]] = speech
    power = float(np.mean(speech.astype(np.float64) ** 2)) if speech.size else 0.0
    noise = coloured_noise(u.noise, CLIP_SAMPLES, np.random.default_rng(u.noise_seed))
    clip += noise * np.float32(np.sqrt(power / 10 ** (u.snr_db / 10)))
    peak = float(np.abs(clip).max())
    return clip / peak * 0.95 if peak > 0.95 else clip


def split_speakers(speakers: Sequence[str], seed: int) -> dict[str, str]:
    """Speaker -> 'train' | 'validation' | 'test' (about 10% each for validation and test, at least one test)."""
    ordered = sorted(set(speakers), key=lambda s: hashlib.sha1(f"{seed}:{s}".encode()).hexdigest())
    n = len(ordered)
    n_test = max(1, round(0.1 * n)) if n > 1 else 0
    n_val = round(0.1 * n) if n > 2 else 0
    return {s: "test" if i < n_test else "validation" if i < n_test + n_val else "train"
            for i, s in enumerate(ordered)}


def synthesise(out_dir: Path, per_class: int, seed: int, words: Sequence[str] = IDC_WORDS,
               snr_db: tuple[float, float] = (10.0, 40.0), workers: int = 2,
               progress: Callable[[int, int], None] | None = None) -> None:
    """Write the dataset into ``out_dir`` (an existing, empty folder)."""
    exe = espeak_path()
    utterances = plan(words, per_class, seed, snr_db)
    total = len(utterances)
    with tempfile.TemporaryDirectory(prefix="ddif-espeak-") as tmp:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            spoken = pool.map(lambda u: speak(exe, u, Path(tmp)), utterances)
            for done, (u, (speech, rate)) in enumerate(zip(utterances, spoken), 1):
                clip = place(resample([speech], rate, SAMPLE_RATE)[0], u)
                (out_dir / u.word).mkdir(exist_ok=True)
                write_wav(out_dir / u.word / f"{u.speaker}_nohash_0.wav", clip)
                if progress is not None:
                    progress(done, total)
    role = split_speakers([u.speaker for u in utterances], seed)
    for split, name in SPLIT_LISTS.items():
        lines = sorted(f"{u.word}/{u.speaker}_nohash_0.wav" for u in utterances if role[u.speaker] == split)
        (out_dir / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    noise_dir = out_dir / "_background_noise_"
    noise_dir.mkdir()
    rng = np.random.default_rng(seed + 1)
    for kind in NOISES:
        write_wav(noise_dir / f"{kind}_noise.wav", 0.3 * coloured_noise(kind, 4 * SAMPLE_RATE, rng))
    (out_dir / "README.md").write_text(
        "# speech-synth (made by `ddif data make speech-synth`)\n\n"
        "Synthesised with espeak-ng, NOT recorded speech and NOT Google's Speech Commands; it only follows\n"
        f"that dataset's layout. Words: {', '.join(words)}; {per_class} speakers (voice variant, pitch, speed,\n"
        f"loudness) each saying every word once; background noise at {snr_db[0]:g}-{snr_db[1]:g} dB SNR; seed {seed}.\n",
        encoding="utf-8",
    )
