"""Per-axis shapes and the default resampling of instances (the base of ``Modality.resize``).

A resolution is an int (every spatial axis) or one size per axis; ``--resolution 16x112x112`` and
``--resolution 56`` are parsed by :func:`parse_resolution`, and :func:`shape_with` turns a resolution
into a sample shape (m, N_1, ..., N_n), both raising :class:`ConfigError` with one clear sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ddif_core.errors import ConfigError

Resolution = int | tuple[int, ...]

#: Interpolation modes ``Modality.resize`` accepts, and the numbers of spatial axes each one fits.
MODES: dict[str, tuple[int, ...]] = {
    "nearest": (1, 2, 3),
    "area": (1, 2, 3),
    "linear": (1,),
    "bilinear": (2,),
    "bicubic": (2,),
    "trilinear": (3,),
}


def parse_resolution(value: str | int | Sequence[int], option: str = "--resolution") -> Resolution:
    """``"56"`` -> 56, ``"16x112x112"`` -> (16, 112, 112); an int or a sequence passes through checked."""
    if isinstance(value, int) and not isinstance(value, bool):
        parts: list[int] = [value]
    elif isinstance(value, str):
        try:
            parts = [int(p) for p in value.lower().replace(" ", "").split("x")]
        except ValueError:
            parts = []
    else:
        parts = [int(v) for v in value]
    if not parts or any(p < 1 for p in parts):
        raise ConfigError(
            f"{option} must be a positive number of points per axis (e.g. 56) or one per axis joined by 'x' "
            f"(e.g. 16x112x112), got {value!r}"
        )
    return parts[0] if isinstance(value, (int, str)) and len(parts) == 1 else tuple(parts)


def shape_with(sample_shape: Sequence[int], resolution: Resolution, option: str = "--resolution") -> tuple[int, ...]:
    """``sample_shape`` (m, N_1, ..., N_n) with its spatial axes set by ``resolution``.

    An int sets every spatial axis; a tuple must give all n of them.
    """
    n = len(sample_shape) - 1
    res = parse_resolution(resolution, option)
    if isinstance(res, int):
        res = (res,) * n
    if len(res) != n:
        native = "x".join(str(s) for s in sample_shape[1:])
        raise ConfigError(
            f"{option} {'x'.join(map(str, res))} gives {len(res)} axes but the instances have {n} ({native}); give "
            f"one size, or {n} joined by 'x'"
        )
    return (int(sample_shape[0]), *res)


def resample(x: torch.Tensor, shape: Sequence[int], mode: str | None = None) -> torch.Tensor:
    """Resize instances x (B, m, N_1, ..., N_n) to (B, *shape), shape = (m, N_1', ..., N_n').

    ``mode=None`` chooses by dimensionality: 2-D bilinear (antialiased when shrinking); 1-D and 3-D
    area-weighted on the axes that shrink, then (tri)linear on the axes that grow, so downsampling
    never aliases. An explicit ``mode`` (see :data:`MODES`) is used as asked (bilinear and bicubic
    are antialiased when shrinking). A mode that does not fit the number of axes is a ConfigError.
    """
    spatial = tuple(int(s) for s in shape[1:])
    n = len(spatial)
    if int(shape[0]) != x.shape[1] or x.dim() != n + 2:
        raise ValueError(f"cannot resize instances of shape {tuple(x.shape[1:])} to {tuple(shape)}")
    if tuple(x.shape[2:]) == spatial:
        return x
    if mode is not None and mode not in MODES:
        raise ConfigError(f"unknown resampling mode '{mode}'; use one of {', '.join(MODES)}")
    if mode is not None and n not in MODES[mode]:
        fits = [m for m, dims in MODES.items() if n in dims]
        raise ConfigError(f"resampling mode '{mode}' does not apply to {n}-D instances; use one of {', '.join(fits)}")
    if n not in (1, 2, 3):
        raise ConfigError(
            f"there is no default resampling for {n}-D instances; the modality must implement resize()"
        )
    shrinks = any(a > b for a, b in zip(x.shape[2:], spatial))
    if mode in ("bilinear", "bicubic") or (mode is None and n == 2):
        return F.interpolate(x, size=spatial, mode=mode or "bilinear", antialias=shrinks, align_corners=False)
    if mode in ("nearest", "area", "linear", "trilinear"):
        kwargs = {"align_corners": False} if mode in ("linear", "trilinear") else {}
        return F.interpolate(x, size=spatial, mode=mode, **kwargs)
    # default for 1-D and 3-D: area on the shrinking axes, then (tri)linear on the growing ones
    down = tuple(min(a, b) for a, b in zip(x.shape[2:], spatial))
    if shrinks:
        x = F.interpolate(x, size=down, mode="area")
    if down != spatial:
        x = F.interpolate(x, size=spatial, mode="linear" if n == 1 else "trilinear", align_corners=False)
    return x
