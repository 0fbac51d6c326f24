"""IDC's spectrogram pipeline and its Griffin-Lim inversion, checked on pure tones."""

import numpy as np
import pytest
import torch

from ddif_audio.spectrogram import BINS, FRAMES, frequency_of_row, griffin_lim, log_spectrogram, magnitude
from ddif_audio.standardise import Standardisation
from audio_trees import tone


def test_stft_shape_is_128_by_125():
    assert magnitude(torch.zeros(2, 16000)).shape == (2, BINS, FRAMES) == (2, 128, 125)
    assert log_spectrogram(torch.zeros(3, 16000), 64).shape == (3, 1, 64, 64)
    assert log_spectrogram(torch.zeros(1, 16000), 128).shape == (1, 1, 128, 128)
    assert float(log_spectrogram(torch.zeros(1, 16000), 16).max()) == pytest.approx(np.log(1e-3))


@pytest.mark.parametrize("freq", [1000.0, 3000.0])
def test_tone_peaks_at_its_row_of_the_64_row_spectrogram(freq):
    spec = log_spectrogram(torch.from_numpy(tone(freq))[None], 64)[0, 0]  # (64 freq, 64 time)
    row = int(spec[:, 20:40].mean(dim=1).argmax())
    rows = np.arange(64)
    expected = rows[np.argmin([abs(frequency_of_row(r, 64) - freq) for r in rows])]
    assert abs(row - expected) <= 1 and abs(frequency_of_row(row, 64) - freq) < 2 * 16000 / 255
    assert frequency_of_row(63.5 - 0.5, 64) > 7000  # the top row is near 8 kHz: row 0 is the lowest frequency


def test_time_runs_along_columns():
    clip = np.zeros(16000, dtype=np.float32)
    clip[8000:] = tone(1000.0)[8000:]  # silence, then a tone from 0.5 s
    spec = log_spectrogram(torch.from_numpy(clip)[None], 64)[0, 0]
    energy = (spec.exp() - 1e-3).sum(dim=0)  # (64,) magnitude per time column
    assert energy[:30].max() < 1e-3 * energy[34:62].min()  # the last column is mostly time padding


def test_griffin_lim_wav_is_within_one_bin_of_the_tone():
    spec = log_spectrogram(torch.from_numpy(tone(1000.0))[None], 64)
    clip = griffin_lim(spec, n_iter=32)
    assert clip.shape == (1, 16000)
    spectrum = np.abs(np.fft.rfft(clip[0].numpy()))
    peak_hz = float(np.argmax(spectrum))  # 1 Hz bins for one second
    assert abs(peak_hz - 1000.0) <= 16000 / 255  # one STFT bin
    assert 0.05 < float(clip.abs().max()) < 2.0  # roughly the loudness of the 0.5-amplitude tone


def test_griffin_lim_is_deterministic_and_chunked_the_same():
    spec = log_spectrogram(torch.from_numpy(np.stack([tone(500.0), tone(2000.0), tone(700.0)])), 16)
    a = griffin_lim(spec, n_iter=4, chunk=2)
    b = griffin_lim(spec, n_iter=4, chunk=3)
    assert torch.allclose(a, b, atol=1e-5)


def test_standardisation_round_trip_and_state():
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(500, 1, 4, 4)).astype(np.float32)
    st = Standardisation.fit(data, chunk=64)
    assert st.mean == pytest.approx(float(data.astype(np.float64).mean()), rel=1e-9)
    assert st.std == pytest.approx(float(data.astype(np.float64).std()), rel=1e-9)
    x = torch.from_numpy(data[:3])
    assert torch.allclose(st.undo(st.apply(x)), x, atol=1e-5)
    assert Standardisation.from_state(st.state()) == st
    assert Standardisation.from_state({}) is None
