"""IDC's log-magnitude spectrograms of one-second 16 kHz clips, and their inversion by Griffin-Lim.

Forward (as IDC, Kim et al. 2022, whose protocol Table 5 of the paper follows)::

    clip (16000,) -> |STFT| n_fft 255, hop 128, Hann, centred with zero padding -> (128 bins, 125 frames)
                  -> time padded (1, 2) -> 128 x 128 -> bilinear to size x size -> log(x + 1e-3)

Row 0 is the lowest frequency (0 Hz), row ``size - 1`` the highest (8 kHz); column 0 is the start.
Inverse: exp(x) - 1e-3 (clamped at 0) -> bilinear to 128 x 128 -> the 125 frames without padding ->
Griffin-Lim (``torchaudio.functional.griffinlim``) -> 16,000 samples.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

N_FFT = 255
HOP = 128
BINS = N_FFT // 2 + 1  # 128
FRAMES = 125  # 1 + 16000 // 128 with centring
TIME_PAD = (1, 2)  # 125 -> 128 frames
LOG_EPS = 1e-3
SAMPLE_RATE = 16_000
CLIP_SAMPLES = 16_000


def magnitude(clips: torch.Tensor) -> torch.Tensor:
    """(B, 16000) clips -> (B, 128, 125) STFT magnitudes."""
    window = torch.hann_window(N_FFT, dtype=clips.dtype, device=clips.device)
    spec = torch.stft(clips, N_FFT, HOP, window=window, center=True, pad_mode="constant", return_complex=True)
    return spec.abs()


def log_spectrogram(clips: torch.Tensor, size: int) -> torch.Tensor:
    """(B, 16000) clips -> (B, 1, size, size) log-magnitude spectrograms (not standardised)."""
    mag = F.pad(magnitude(clips), TIME_PAD)  # (B, 128, 128)
    if size != BINS:
        mag = F.interpolate(mag[:, None], size=(size, size), mode="bilinear", align_corners=False)[:, 0]
    return torch.log(mag + LOG_EPS)[:, None]


def to_magnitude(log_spec: torch.Tensor) -> torch.Tensor:
    """(B, 1, S, S') log spectrograms at any size -> (B, 128, 125) magnitudes (padding dropped)."""
    mag = (torch.exp(log_spec.float()) - LOG_EPS).clamp_min(0.0)
    if tuple(mag.shape[-2:]) != (BINS, BINS):
        mag = F.interpolate(mag, size=(BINS, BINS), mode="bilinear", align_corners=False)
    return mag[:, 0, :, TIME_PAD[0]:TIME_PAD[0] + FRAMES].clamp_min(0.0)


def griffin_lim(log_spec: torch.Tensor, n_iter: int = 32, chunk: int = 64) -> torch.Tensor:
    """(B, 1, S, S') log spectrograms -> (B, 16000) clips by Griffin-Lim (deterministic: zero-phase start).

    :param chunk: spectrograms inverted at once (bounds memory, same result).
    """
    import torchaudio.functional as AF

    mag = to_magnitude(log_spec)
    window = torch.hann_window(N_FFT, device=mag.device)
    # length None: (125 - 1) * 128 = 15,872 samples; asking for 16,000 would divide the last 128 by a
    # window envelope near zero (the last frame's Hann tail), so the last 8 ms are padded with silence.
    parts = [AF.griffinlim(part, window, N_FFT, HOP, N_FFT, 1.0, n_iter, 0.99, None, False)
             for part in mag.split(chunk)]
    out = torch.cat(parts) if parts else mag.new_zeros(0, CLIP_SAMPLES)
    return F.pad(out, (0, CLIP_SAMPLES - out.shape[-1]))


def frequency_of_row(row: float, size: int) -> float:
    """The frequency in Hz at (fractional) row ``row`` of a ``size``-row spectrogram (bilinear mapping)."""
    source = (row + 0.5) * BINS / size - 0.5  # align_corners=False
    return source * SAMPLE_RATE / N_FFT
