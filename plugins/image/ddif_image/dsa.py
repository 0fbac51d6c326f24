"""Differentiable Siamese Augmentation (DSA) of Zhao & Bilen, "Dataset Condensation with
Differentiable Siamese Augmentation" (ICML 2021), in its single-operation mode.

Each draw picks ONE operation of the strategy ``color_crop_cutout_flip_scale_rotate`` and a row of
uniform random numbers per *slot*. :func:`apply_dsa` then transforms a batch, sample ``i`` using the
row ``slots[i]``. Drawing once and applying the same :class:`DSAParams` to a real batch and to a
synthetic batch gives the *siamese* property: slot ``j`` receives the same transformation in both.

Two ways of drawing, as in DSA's reference code:

* training a network (evaluation, expert training, TM student steps): one operation for the whole
  batch and one row per sample (``sample_dsa_params(B, g)``, slots ``arange(B)``);
* siamese matching (DM, DC): per class ONE draw -- its own operation and one row -- applied to every
  real and every synthetic sample of that class (``sample_dsa_params(C, g, per_slot_op=True)`` with
  slots = the class of each sample). The operation of each slot is then stored in ``op`` as a tuple.

Every operation is batched (no Python loop over samples), differentiable with respect to the
images, and deterministic given the generator's state. The random numbers are kept as raw
uniform(0, 1) draws so that the strength of each operation (``brightness``, ``crop_ratio`` ...)
is chosen when applying, not when sampling.

Shapes: images are ``(B, C, H, W)`` with any ``C`` (1 for grey, 3 for RGB) and any ``H``, ``W``;
``params.values`` is ``(S, MAX_DRAWS)``; ``slots`` is ``(B,)`` with entries in ``[0, S)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["OPS", "MAX_DRAWS", "DRAWS_PER_OP", "DSAParams", "sample_dsa_params", "apply_dsa", "augment_batch"]

OPS: tuple[str, ...] = ("color", "crop", "cutout", "flip", "scale", "rotate")
"""The operations of the DSA strategy ``color_crop_cutout_flip_scale_rotate``."""

DRAWS_PER_OP: dict[str, int] = {
    "color": 3,  # brightness, saturation, contrast
    "crop": 2,  # translation along H, along W
    "cutout": 2,  # centre row, centre column
    "flip": 1,  # flip when < 0.5
    "scale": 2,  # scale along x (W), along y (H)
    "rotate": 1,  # angle
}
"""How many uniform draws per slot each operation reads (columns ``0 .. n-1`` of ``values``)."""

MAX_DRAWS: int = max(DRAWS_PER_OP.values())
"""Number of uniform draws stored per slot; enough for any operation."""


@dataclass(frozen=True, eq=False)
class DSAParams:
    """One DSA draw: the operation and per-slot uniform random numbers.

    Attributes:
        op: one of :data:`OPS` (the operation of every slot), or a tuple with one operation per slot
            (length ``S``; each sample then gets the operation of its slot).
        values: ``(S, k)`` float32 uniform(0, 1) draws, ``S`` slots, ``k >= MAX_DRAWS`` columns
            (at least the number the operation reads). Usually on the CPU; :func:`apply_dsa` moves
            them to the images' device.

    Equality is identity (``eq=False``): comparing tensors element-wise has no single truth value.
    """

    op: str | tuple[str, ...]
    values: torch.Tensor

    def __post_init__(self) -> None:
        ops = (self.op,) if isinstance(self.op, str) else tuple(self.op)
        for op in ops:
            if op not in OPS:
                raise ValueError(f"DSA operation {op!r} is unknown; expected one of {', '.join(OPS)}")
        need = max((DRAWS_PER_OP[op] for op in ops), default=0)
        if self.values.dim() != 2 or self.values.shape[1] < need:
            raise ValueError(
                f"DSAParams.values must be a 2-D (slots, draws) tensor with at least {need} "
                f"columns for operation(s) {', '.join(sorted(set(ops)))}, got shape {tuple(self.values.shape)}"
            )
        if not isinstance(self.op, str) and len(self.op) != self.values.shape[0]:
            raise ValueError(
                f"DSAParams with one operation per slot needs {self.values.shape[0]} operations, got {len(self.op)}"
            )

    @property
    def num_slots(self) -> int:
        """Number of slots ``S`` (rows of ``values``)."""
        return int(self.values.shape[0])


def sample_dsa_params(num_slots: int, generator: torch.Generator, ops: tuple[str, ...] = OPS,
                      per_slot_op: bool = False) -> DSAParams:
    """Draw DSA operation(s) and ``num_slots`` rows of uniform random numbers.

    The operation is chosen first (``torch.randint`` over ``ops``; a draw is made even when ``ops``
    has a single entry, so the generator always advances the same way), then the values
    (``torch.rand(num_slots, MAX_DRAWS)``). The same generator state gives the same parameters.

    Args:
        num_slots: number of slots ``S`` (>= 0).
        generator: the source of randomness; the values are drawn on its device (the CPU for a
            default ``torch.Generator()``).
        ops: the operations to choose from, a non-empty subset of :data:`OPS`.
        per_slot_op: draw an operation for every slot (``S`` draws) instead of one for all: each
            slot is then a complete, independent DSA draw (siamese matching: one slot per class).

    Returns:
        :class:`DSAParams` with ``values`` of shape ``(num_slots, MAX_DRAWS)``, dtype float32, and
        ``op`` a name (or, with ``per_slot_op``, a tuple of ``S`` names).
    """
    if not ops:
        raise ValueError("sample_dsa_params needs at least one DSA operation in ops")
    unknown = [op for op in ops if op not in OPS]
    if unknown:
        raise ValueError(f"DSA operation(s) {', '.join(map(repr, unknown))} are unknown; expected any of {', '.join(OPS)}")
    if num_slots < 0:
        raise ValueError(f"num_slots must be >= 0, got {num_slots}")
    device = generator.device
    if per_slot_op:
        choices = torch.randint(len(ops), (num_slots,), generator=generator, device=device).tolist()
        values = torch.rand(num_slots, MAX_DRAWS, generator=generator, device=device, dtype=torch.float32)
        return DSAParams(op=tuple(ops[i] for i in choices), values=values)
    choice = int(torch.randint(len(ops), (1,), generator=generator, device=device).item())
    values = torch.rand(num_slots, MAX_DRAWS, generator=generator, device=device, dtype=torch.float32)
    return DSAParams(op=ops[choice], values=values)


def apply_dsa(
    x: torch.Tensor,
    params: DSAParams,
    slots: torch.Tensor | None = None,
    *,
    brightness: float = 1.0,
    saturation: float = 2.0,
    contrast: float = 0.5,
    crop_ratio: float = 0.125,
    cutout_ratio: float = 0.5,
    scale_ratio: float = 1.2,
    rotate_degrees: float = 15.0,
) -> torch.Tensor:
    """Apply the DSA operation of ``params`` to a batch, sample ``i`` using slot ``slots[i]``.

    Args:
        x: ``(B, C, H, W)`` floating-point images on any device; gradients flow back to ``x``.
        params: a draw from :func:`sample_dsa_params` (or built by hand).
        slots: ``(B,)`` integer slot indices into ``params.values``; default ``arange(B)``
            (which needs ``B <= S``).
        brightness: ``x + (u - 0.5) * brightness``.
        saturation: ``(x - mean_C(x)) * (u * saturation) + mean_C(x)``.
        contrast: ``(x - mean_CHW(x)) * (u + contrast) + mean_CHW(x)``.
        crop_ratio: maximum integer translation, as a fraction of each side, with zero fill.
        cutout_ratio: side of the zeroed rectangle as a fraction of ``(H, W)``.
        scale_ratio: scale factors along x and y drawn in ``[1 / scale_ratio, scale_ratio]``.
        rotate_degrees: angle drawn in ``[-rotate_degrees, rotate_degrees]``.

    Returns:
        ``(B, C, H, W)`` tensor, same dtype and device as ``x``.
    """
    if x.dim() != 4:
        raise ValueError(f"apply_dsa expects images of shape (B, C, H, W), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"apply_dsa expects floating-point images, got dtype {x.dtype}")
    batch = x.shape[0]
    u = _slot_values(params, slots, batch, x.device)  # (B, k) float32 on x.device
    strengths = dict(brightness=brightness, saturation=saturation, contrast=contrast, crop_ratio=crop_ratio,
                     cutout_ratio=cutout_ratio, scale_ratio=scale_ratio, rotate_degrees=rotate_degrees)
    if isinstance(params.op, str):
        return _apply_op(params.op, x, u, **strengths)
    # one operation per slot: each operation transforms the samples whose slot drew it (<= 6 groups)
    slot_op = torch.tensor([OPS.index(op) for op in params.op], dtype=torch.long)  # (S,)
    sample_slots = torch.arange(batch) if slots is None else slots.long().cpu()
    sample_op = slot_op[sample_slots]  # (B,)
    out = x
    for k in sample_op.unique().tolist():
        sel = torch.nonzero(sample_op == k).flatten().to(x.device)
        out = out.index_copy(0, sel, _apply_op(OPS[k], x.index_select(0, sel), u.index_select(0, sel), **strengths))
    return out


def _apply_op(op: str, x: torch.Tensor, u: torch.Tensor, *, brightness: float, saturation: float, contrast: float,
              crop_ratio: float, cutout_ratio: float, scale_ratio: float, rotate_degrees: float) -> torch.Tensor:
    """Operation ``op`` on x (B, C, H, W) with per-sample draws u (B, k)."""
    if op == "color":
        return _color(x, u, brightness, saturation, contrast)
    if op == "crop":
        return _crop(x, u, crop_ratio)
    if op == "cutout":
        return _cutout(x, u, cutout_ratio)
    if op == "flip":
        return _flip(x, u)
    if op == "scale":
        return _scale(x, u, scale_ratio)
    if op == "rotate":
        return _rotate(x, u, rotate_degrees)
    raise ValueError(f"DSA operation {op!r} is unknown; expected one of {', '.join(OPS)}")  # pragma: no cover


def augment_batch(x: torch.Tensor, generator: torch.Generator, ops: tuple[str, ...] = OPS) -> torch.Tensor:
    """Draw parameters for ``B`` slots and apply them, sample ``i`` using slot ``i``.

    A convenience for training a network on (real or synthetic) data, where no siamese pairing
    is needed.

    Args:
        x: ``(B, C, H, W)`` floating-point images.
        generator: the source of randomness (see :func:`sample_dsa_params`).
        ops: the operations to choose from.

    Returns:
        ``(B, C, H, W)`` augmented images.
    """
    params = sample_dsa_params(x.shape[0], generator, ops)
    return apply_dsa(x, params)


# ---- helpers ---------------------------------------------------------------------------------


def _slot_values(params: DSAParams, slots: torch.Tensor | None, batch: int, device: torch.device) -> torch.Tensor:
    """The ``(B, k)`` float32 draws of each sample, on ``device``."""
    values = params.values
    num_slots = values.shape[0]
    if slots is None:
        if batch > num_slots:
            raise ValueError(
                f"apply_dsa got a batch of {batch} images but params hold only {num_slots} slots; "
                f"pass slots or draw at least {batch} slots"
            )
        return values[:batch].to(device=device, dtype=torch.float32)
    if slots.dim() != 1 or slots.shape[0] != batch:
        raise ValueError(f"slots must have shape ({batch},) to match the batch, got shape {tuple(slots.shape)}")
    if slots.dtype.is_floating_point or slots.dtype == torch.bool or slots.is_complex():
        raise TypeError(f"slots must be an integer tensor, got dtype {slots.dtype}")
    slots = slots.long()
    if batch > 0:
        lo, hi = int(slots.min()), int(slots.max())
        if lo < 0 or hi >= num_slots:
            raise ValueError(f"slots must lie in [0, {num_slots}) for params with {num_slots} slots, got [{lo}, {hi}]")
    return values.to(device=device, dtype=torch.float32)[slots.to(device)]


def _per_sample(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A ``(B,)`` tensor reshaped to ``(B, 1, 1, 1)`` in ``x``'s dtype, for broadcasting."""
    return v.to(x.dtype).view(-1, 1, 1, 1)


def _color(x: torch.Tensor, u: torch.Tensor, brightness: float, saturation: float, contrast: float) -> torch.Tensor:
    """Brightness, then saturation, then contrast (draws 0, 1, 2). ``(B, C, H, W) -> same``."""
    x = x + (_per_sample(u[:, 0], x) - 0.5) * brightness
    mean_c = x.mean(dim=1, keepdim=True)  # (B, 1, H, W)
    x = (x - mean_c) * (_per_sample(u[:, 1], x) * saturation) + mean_c
    mean_all = x.mean(dim=(1, 2, 3), keepdim=True)  # (B, 1, 1, 1)
    x = (x - mean_all) * (_per_sample(u[:, 2], x) + contrast) + mean_all
    return x


def _int_draw(u: torch.Tensor, count: int) -> torch.Tensor:
    """Map uniform(0, 1) draws to integers uniform in ``[0, count)`` (``(B,)`` float -> ``(B,)`` long)."""
    return torch.floor(u * count).long().clamp_(0, count - 1)


def _crop(x: torch.Tensor, u: torch.Tensor, ratio: float) -> torch.Tensor:
    """Integer translation by up to ``round(ratio * side)`` pixels per axis, zero fill.

    Output pixel ``(h, w)`` is input pixel ``(h + t_h, w + t_w)``, or zero when that lies outside.
    Implemented as two gathers from the zero-padded image, so gradients flow to ``x``.
    """
    b, c, h, w = x.shape
    shift_h, shift_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    t_h = _int_draw(u[:, 0], 2 * shift_h + 1) - shift_h  # (B,) in [-shift_h, shift_h]
    t_w = _int_draw(u[:, 1], 2 * shift_w + 1) - shift_w
    padded = F.pad(x, (1, 1, 1, 1))  # (B, C, H + 2, W + 2); row/column 0 and -1 are zeros
    rows = torch.arange(h, device=x.device).unsqueeze(0) + t_h.unsqueeze(1) + 1  # (B, H)
    cols = torch.arange(w, device=x.device).unsqueeze(0) + t_w.unsqueeze(1) + 1  # (B, W)
    rows = rows.clamp_(0, h + 1)  # anything outside lands on a zero border
    cols = cols.clamp_(0, w + 1)
    out = torch.gather(padded, 2, rows.view(b, 1, h, 1).expand(b, c, h, w + 2))  # (B, C, H, W + 2)
    return torch.gather(out, 3, cols.view(b, 1, 1, w).expand(b, c, h, w))  # (B, C, H, W)


def _cutout(x: torch.Tensor, u: torch.Tensor, ratio: float) -> torch.Tensor:
    """Zero a ``round(ratio * H) x round(ratio * W)`` rectangle at a random centre (clipped to the image)."""
    _, _, h, w = x.shape
    size_h, size_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    centre_h = _int_draw(u[:, 0], h + 1 - size_h % 2)  # (B,) in [0, H - size_h % 2]
    centre_w = _int_draw(u[:, 1], w + 1 - size_w % 2)
    start_h = (centre_h - size_h // 2).unsqueeze(1)  # (B, 1)
    start_w = (centre_w - size_w // 2).unsqueeze(1)
    ar_h = torch.arange(h, device=x.device).unsqueeze(0)  # (1, H)
    ar_w = torch.arange(w, device=x.device).unsqueeze(0)
    in_h = (ar_h >= start_h) & (ar_h < start_h + size_h)  # (B, H)
    in_w = (ar_w >= start_w) & (ar_w < start_w + size_w)  # (B, W)
    keep = ~(in_h.unsqueeze(2) & in_w.unsqueeze(1))  # (B, H, W)
    return x * keep.unsqueeze(1).to(x.dtype)


def _flip(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Horizontal flip (last axis) of the samples whose draw is below 0.5."""
    flip = (u[:, 0] < 0.5).view(-1, 1, 1, 1)
    return torch.where(flip, x.flip(3), x)


def _affine(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Resample ``x`` with per-sample ``(B, 2, 3)`` affine matrices, zero padding, bilinear."""
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=True)  # (B, H, W, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def _scale(x: torch.Tensor, u: torch.Tensor, ratio: float) -> torch.Tensor:
    """Scale x by ``s_x`` and y by ``s_y``, each uniform in ``[1 / ratio, ratio]``."""
    if ratio <= 0:
        raise ValueError(f"scale_ratio must be > 0, got {ratio}")
    low = 1.0 / ratio
    sx = u[:, 0] * (ratio - low) + low  # (B,)
    sy = u[:, 1] * (ratio - low) + low
    zero = torch.zeros_like(sx)
    theta = torch.stack([torch.stack([sx, zero, zero], 1), torch.stack([zero, sy, zero], 1)], 1)  # (B, 2, 3)
    return _affine(x, theta)


def _rotate(x: torch.Tensor, u: torch.Tensor, degrees: float) -> torch.Tensor:
    """Rotate by an angle uniform in ``[-degrees, degrees]`` about the image centre."""
    angle = (u[:, 0] - 0.5) * 2.0 * degrees * (math.pi / 180.0)  # (B,) radians
    cos, sin = torch.cos(angle), torch.sin(angle)
    zero = torch.zeros_like(angle)
    theta = torch.stack([torch.stack([cos, sin, zero], 1), torch.stack([-sin, cos, zero], 1)], 1)  # (B, 2, 3)
    return _affine(x, theta)
