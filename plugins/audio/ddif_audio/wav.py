"""WAV files: reading clips at one sample rate and length, writing 16-bit PCM.

Files are read with ``soundfile`` (libsndfile ships in its wheel), never ``torchaudio.load`` (which needs
torchcodec and a system FFmpeg since torchaudio 2.9). A clip is averaged to mono, resampled to the target
rate when it has another one (``torchaudio.functional.resample``), then zero-padded at the end or cut.
Every problem with a file is a :class:`ddif_core.DataError` naming it and what was expected.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from ddif_core import DataError

SAMPLE_RATE = 16_000
CLIP_SAMPLES = 16_000  # one second at SAMPLE_RATE


def check_riff(raw: bytes, path: Path) -> None:
    """Raise :class:`DataError` when a RIFF/WAVE file is cut short (its data chunk runs past the end).

    libsndfile quietly reads what is there, so a truncated download would otherwise become a shorter clip.
    Files that are not RIFF (FLAC, AIFF...) are left to libsndfile.
    """
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        return
    offset = 12
    while offset + 8 <= len(raw):
        chunk, size = raw[offset:offset + 4], int.from_bytes(raw[offset + 4:offset + 8], "little")
        if chunk == b"data":
            held = len(raw) - offset - 8
            if size != 0xFFFFFFFF and size > held:
                raise DataError(f"{path} is truncated: its WAV data chunk declares {size} bytes but the file holds "
                                f"{held}; expected a complete WAV file")
            return
        offset += 8 + size + (size & 1)
    raise DataError(f"{path} has no WAV data chunk; expected a complete WAV file")


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    """Read one audio file as mono float32 samples in [-1, 1].

    :returns: samples (T,) and their sample rate.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path} cannot be read ({exc.strerror}); expected a readable WAV file") from None
    if not raw:
        raise DataError(f"{path} is empty; expected a WAV file")
    check_riff(raw, path)
    try:
        data, rate = sf.read(io.BytesIO(raw), dtype="float32", always_2d=True)
    except (sf.SoundFileError, RuntimeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path} is not an audio file libsndfile can read ({reason}); expected a WAV file") from None
    if data.shape[0] == 0:
        raise DataError(f"{path} holds no samples; expected a WAV file with audio")
    if not np.isfinite(data).all():
        raise DataError(f"{path} holds NaN or infinite samples; expected finite audio")
    return data.mean(axis=1, dtype=np.float32), int(rate)


def fit_length(clip: np.ndarray, samples: int = CLIP_SAMPLES) -> np.ndarray:
    """Zero-pad ``clip`` (T,) at the end or cut it to ``samples``."""
    if clip.shape[0] >= samples:
        return clip[:samples]
    return np.pad(clip, (0, samples - clip.shape[0]))


def resample(clips: Sequence[np.ndarray], rate: int, target: int = SAMPLE_RATE) -> list[np.ndarray]:
    """Resample clips of one rate together: padded to one length, one batched call, then each cut back.

    :param clips: 1-D float32 arrays (T_i,) at ``rate``.
    :returns: the clips at ``target`` (ceil(T_i * target / rate) samples each).
    """
    if rate == target or not clips:
        return list(clips)
    import torchaudio.functional as AF

    longest = max(c.shape[0] for c in clips)
    batch = torch.zeros(len(clips), longest)  # (B, T)
    for i, c in enumerate(clips):
        batch[i, : c.shape[0]] = torch.from_numpy(c)
    out = AF.resample(batch, rate, target).numpy()  # (B, T')
    return [out[i, : -(-c.shape[0] * target // rate)] for i, c in enumerate(clips)]


def read_clips(paths: Sequence[Path], skip_bad_files: bool = False,
               on_skip: Callable[[Path, str], None] | None = None) -> tuple[np.ndarray, list[int]]:
    """Read WAV files as one-second mono clips at 16 kHz.

    :param skip_bad_files: skip unreadable files (reported through ``on_skip(path, reason)``) instead of
        raising :class:`DataError` at the first.
    :returns: clips (K, 16000) float32 and the positions in ``paths`` of the K files kept.
    """
    by_rate: dict[int, list[tuple[int, np.ndarray]]] = {}
    for i, path in enumerate(paths):
        try:
            clip, rate = read_audio(Path(path))
        except DataError as exc:
            if not skip_bad_files:
                raise
            if on_skip is not None:
                on_skip(Path(path), str(exc))
            continue
        by_rate.setdefault(rate, []).append((i, clip))
    kept: list[int] = []
    rows: list[np.ndarray] = []
    for rate, items in by_rate.items():
        resampled = resample([c for _, c in items], rate)
        kept.extend(i for i, _ in items)
        rows.extend(fit_length(c) for c in resampled)
    order = np.argsort(kept, kind="stable")
    out = np.zeros((len(kept), CLIP_SAMPLES), dtype=np.float32)
    for row, j in enumerate(order):
        out[row] = rows[j]
    return out, [kept[j] for j in order]


def write_wav(path: Path, clip: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write mono samples (T,) in [-1, 1] (clipped) as a 16-bit PCM WAV file."""
    pcm = np.round(np.clip(clip, -1.0, 1.0) * 32767.0).astype(np.int16)
    sf.write(str(path), pcm, rate, subtype="PCM_16", format="WAV")
