"""WAV reading: rates, channels, lengths, and one sentence per bad file."""

from pathlib import Path

import numpy as np
import pytest

from ddif_core import DataError
from ddif_audio.wav import read_audio, read_clips, write_wav
from audio_trees import write_tone


def test_mono_16k_is_read_as_is_and_padded(tmp_path):
    path = write_tone(tmp_path / "a.wav", 440.0, seconds=0.5, subtype="FLOAT")
    clips, kept = read_clips([path])
    assert clips.shape == (1, 16000) and kept == [0]
    t = np.arange(8000) / 16000
    assert np.allclose(clips[0, :8000], 0.5 * np.sin(2 * np.pi * 440 * t), atol=1e-6)
    assert not clips[0, 8000:].any()  # zero padding at the end


def test_stereo_other_rate_and_long_clips(tmp_path):
    stereo = write_tone(tmp_path / "s.wav", 1000.0, rate=22050, seconds=2.0, channels=2)
    long16 = write_tone(tmp_path / "l.wav", 500.0, seconds=1.5)
    clips, kept = read_clips([stereo, long16])
    assert clips.shape == (2, 16000) and kept == [0, 1]
    spectrum = np.abs(np.fft.rfft(clips[0]))
    assert abs(np.argmax(spectrum) * 16000 / 16000 - 1000.0) <= 1.0  # resampled, pitch kept (1 Hz bins)
    assert np.abs(clips[0]).max() == pytest.approx(0.5, abs=0.02)
    assert np.abs(clips[1, -100:]).max() > 0.4  # cut, not padded


def test_write_then_read_round_trip(tmp_path):
    clip = np.linspace(-1, 1, 16000, dtype=np.float32)
    write_wav(tmp_path / "w.wav", clip)
    back, rate = read_audio(tmp_path / "w.wav")
    assert rate == 16000 and np.abs(back - clip).max() < 1e-4
    assert (tmp_path / "w.wav").read_bytes()[:4] == b"RIFF"


@pytest.mark.parametrize("damage,message", [
    (lambda p: p.write_bytes(b""), "is empty"),
    (lambda p: p.write_bytes(b"this is not audio at all, just text" * 4), "not an audio file"),
    (lambda p: p.write_bytes(p.read_bytes()[:2000]), "is truncated"),
    (lambda p: p.write_bytes(p.read_bytes()[:44]), "is truncated"),
])
def test_bad_files_are_named(tmp_path, damage, message):
    path = write_tone(tmp_path / "bad.wav", 440.0)
    damage(path)
    with pytest.raises(DataError) as err:
        read_clips([path])
    text = str(err.value)
    assert message in text and str(path) in text and "\n" not in text


def test_header_only_wav_has_no_samples(tmp_path):
    path = tmp_path / "zero.wav"
    write_wav(path, np.zeros(0, dtype=np.float32))
    with pytest.raises(DataError, match="holds no samples"):
        read_audio(path)


def test_skip_bad_files_counts_them(tmp_path):
    good = write_tone(tmp_path / "g.wav", 440.0)
    bad = tmp_path / "b.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    skipped: list[Path] = []
    clips, kept = read_clips([bad, good, bad], skip_bad_files=True, on_skip=lambda p, why: skipped.append(p))
    assert clips.shape == (1, 16000) and kept == [1] and skipped == [bad, bad]
