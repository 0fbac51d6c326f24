"""Tests of Differentiable Siamese Augmentation (ddif_image.dsa)."""

from __future__ import annotations

import math

import pytest
import torch

from ddif_image.dsa import MAX_DRAWS, OPS, DSAParams, apply_dsa, augment_batch, sample_dsa_params


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _images(b: int = 4, c: int = 3, h: int = 8, w: int = 8, seed: int = 0) -> torch.Tensor:
    return torch.rand(b, c, h, w, generator=_gen(seed)) + 0.1  # strictly positive, so zeros are the op's


def _params(op: str, rows: list[list[float]]) -> DSAParams:
    values = torch.tensor([r + [0.5] * (MAX_DRAWS - len(r)) for r in rows], dtype=torch.float32)
    return DSAParams(op, values)


# ---- sampling -----------------------------------------------------------------------------------


def test_sample_shapes_and_range() -> None:
    p = sample_dsa_params(7, _gen(1))
    assert p.op in OPS
    assert p.values.shape == (7, MAX_DRAWS) and p.values.dtype == torch.float32
    assert p.num_slots == 7
    assert float(p.values.min()) >= 0.0 and float(p.values.max()) < 1.0


def test_sampling_is_deterministic_and_seed_dependent() -> None:
    a, b = sample_dsa_params(5, _gen(3)), sample_dsa_params(5, _gen(3))
    assert a.op == b.op and torch.equal(a.values, b.values)
    c = sample_dsa_params(5, _gen(4))
    assert not torch.equal(a.values, c.values)


def test_op_is_drawn_before_values() -> None:
    g = _gen(11)
    choice = int(torch.randint(len(OPS), (1,), generator=g).item())
    values = torch.rand(3, MAX_DRAWS, generator=g)
    p = sample_dsa_params(3, _gen(11))
    assert p.op == OPS[choice] and torch.equal(p.values, values)


def test_all_ops_get_chosen() -> None:
    g = _gen(0)
    seen = {sample_dsa_params(1, g).op for _ in range(200)}
    assert seen == set(OPS)


def test_restricted_ops_and_errors() -> None:
    g = _gen(0)
    assert {sample_dsa_params(2, g, ("flip", "crop")).op for _ in range(50)} == {"flip", "crop"}
    with pytest.raises(ValueError, match="blur"):
        sample_dsa_params(2, g, ("blur",))
    with pytest.raises(ValueError):
        sample_dsa_params(2, g, ())
    with pytest.raises(ValueError):
        DSAParams("warp", torch.zeros(2, MAX_DRAWS))
    with pytest.raises(ValueError):
        DSAParams("color", torch.zeros(2, 1))


# ---- siamese property and determinism -------------------------------------------------------------


@pytest.mark.parametrize("op", OPS)
def test_siamese_slots_get_identical_transforms(op: str) -> None:
    per_real, per_syn, classes = 5, 2, 3
    params = sample_dsa_params(per_real, _gen(5), (op,))
    base = _images(per_real, seed=9)  # slot j holds image j
    real = base.repeat(classes, 1, 1, 1)  # (15, C, H, W), sample i in slot i % 5
    real_slots = torch.arange(per_real).repeat(classes)
    syn = base[:per_syn].repeat(classes, 1, 1, 1)  # (6, C, H, W), sample i in slot i % 2
    syn_slots = torch.arange(per_syn).repeat(classes)
    out_real = apply_dsa(real, params, real_slots)
    out_syn = apply_dsa(syn, params, syn_slots)
    for i in range(syn.shape[0]):
        j = i % per_syn
        assert torch.equal(out_syn[i], out_real[j]), (op, i)


def test_same_slot_same_transform_different_slots_differ() -> None:
    x = _images(1).repeat(6, 1, 1, 1)
    params = sample_dsa_params(6, _gen(2), ("rotate",))
    out = apply_dsa(x, params, torch.tensor([0, 0, 0, 1, 2, 3]))
    assert torch.equal(out[0], out[1]) and torch.equal(out[0], out[2])
    assert not torch.allclose(out[0], out[3])


def test_apply_is_deterministic_and_seed_dependent() -> None:
    x = _images(6)
    for op in OPS:
        a = apply_dsa(x, sample_dsa_params(6, _gen(21), (op,)))
        b = apply_dsa(x, sample_dsa_params(6, _gen(21), (op,)))
        assert torch.equal(a, b), op
        c = apply_dsa(x, sample_dsa_params(6, _gen(22), (op,)))
        assert not torch.equal(a, c), op
    assert torch.equal(augment_batch(x, _gen(7)), augment_batch(x, _gen(7)))


def test_shape_dtype_and_slot_checks() -> None:
    x = _images(3, c=1, h=7, w=10)
    for op in OPS:
        out = apply_dsa(x, sample_dsa_params(3, _gen(0), (op,)))
        assert out.shape == x.shape and out.dtype == x.dtype
    p = sample_dsa_params(2, _gen(0))
    with pytest.raises(ValueError, match="slots"):
        apply_dsa(x, p)  # 3 images, 2 slots, no slot map
    with pytest.raises(ValueError, match="slots"):
        apply_dsa(x, p, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="shape"):
        apply_dsa(x, p, torch.tensor([0, 1]))
    with pytest.raises(ValueError):
        apply_dsa(x[0], p)


@pytest.mark.parametrize("op", OPS)
def test_gradient_flows_to_x(op: str) -> None:
    x = _images(4, c=3, h=8, w=8).requires_grad_(True)
    params = sample_dsa_params(4, _gen(13), (op,))
    out = apply_dsa(x, params)
    weights = torch.rand(out.shape, generator=_gen(14))
    (out * weights).sum().backward()
    assert x.grad is not None
    assert torch.isfinite(x.grad).all()
    assert float(x.grad.abs().sum()) > 0.0


# ---- individual operations ----------------------------------------------------------------------


def test_flip_where_draw_below_half() -> None:
    x = torch.arange(2 * 1 * 2 * 3, dtype=torch.float32).view(2, 1, 2, 3)
    out = apply_dsa(x, _params("flip", [[0.2], [0.8]]))
    assert torch.equal(out[0], torch.flip(x[0], dims=[2]))
    assert torch.equal(out[1], x[1])
    assert torch.equal(out[0, 0, 0], torch.tensor([2.0, 1.0, 0.0]))


def test_brightness_shifts_mean() -> None:
    x = _images(2, c=3)
    # u_b = 0.9 -> +0.4; saturation 1.0 (u_s = 0.5 * 2.0) and contrast 1.0 (u_c = 0.5 + 0.5) are identities
    out = apply_dsa(x, _params("color", [[0.9, 0.5, 0.5], [0.1, 0.5, 0.5]]))
    assert torch.allclose(out[0], x[0] + 0.4, atol=1e-6)
    assert torch.allclose(out[1], x[1] - 0.4, atol=1e-6)
    assert math.isclose(float(out[0].mean() - x[0].mean()), 0.4, abs_tol=1e-5)


def test_saturation_and_contrast() -> None:
    x = _images(1, c=3)
    grey = x.mean(dim=1, keepdim=True).expand_as(x)
    # saturation factor 0 (u_s = 0): every channel becomes the channel mean; contrast factor 1
    out = apply_dsa(x, _params("color", [[0.5, 0.0, 0.5]]))
    assert torch.allclose(out, grey, atol=1e-6)
    # contrast factor 0 (u_c = 0 with contrast=0): the image becomes its global mean
    out = apply_dsa(x, _params("color", [[0.5, 0.5, 0.0]]), contrast=0.0)
    assert torch.allclose(out, x.mean().expand_as(x), atol=1e-6)
    # contrast factor 1.5 keeps the mean and scales the deviations
    out = apply_dsa(x, _params("color", [[0.5, 0.5, 1.0]]))
    assert torch.allclose(out, (x - x.mean()) * 1.5 + x.mean(), atol=1e-6)


def test_saturation_is_identity_for_grey_images() -> None:
    x = _images(2, c=1)
    out = apply_dsa(x, _params("color", [[0.5, 0.1, 0.5], [0.5, 0.9, 0.5]]))
    assert torch.allclose(out, x, atol=1e-6)


def test_crop_translates_with_zero_fill() -> None:
    x = torch.arange(1, 1 + 2 * 1 * 8 * 8, dtype=torch.float32).view(2, 1, 8, 8)
    # 8 * 0.125 -> shift 1, so 3 integer translations per axis: u in [0,1/3) -> -1, [1/3,2/3) -> 0, else +1
    out = apply_dsa(x, _params("crop", [[0.5, 0.5], [0.9, 0.1]]))
    assert torch.equal(out[0], x[0])  # zero translation
    # sample 1: out[h, w] = x[h + 1, w - 1]
    expected = torch.zeros(1, 8, 8)
    expected[:, :7, 1:] = x[1, :, 1:, :7]
    assert torch.equal(out[1], expected)


def test_crop_translation_range() -> None:
    x = torch.ones(64, 1, 16, 16)
    out = apply_dsa(x, sample_dsa_params(64, _gen(3), ("crop",)))
    zero_rows = (out[:, 0].sum(dim=2) == 0).sum(dim=1)  # rows emptied by vertical translation
    assert int(zero_rows.max()) == 2 and int(zero_rows.min()) == 0  # shift = round(16 * 0.125) = 2


def test_cutout_zeroes_expected_fraction() -> None:
    x = _images(2, c=3, h=8, w=8)
    # 8 * 0.5 -> 4x4 square; centre index floor(u * 9); u = 0.5 -> 4 -> rows/cols 2..5, fully inside
    out = apply_dsa(x, _params("cutout", [[0.5, 0.5], [0.0, 0.0]]))
    zero0 = out[0] == 0
    assert int(zero0.sum()) == 3 * 16
    assert float(zero0[0].float().mean()) == pytest.approx(0.25)
    assert bool(zero0[:, 2:6, 2:6].all())
    assert torch.equal(out[0][~zero0], x[0][~zero0])
    # centre at the corner (0, 0): the square is clipped to rows/cols 0..1
    zero1 = out[1, 0] == 0
    assert int(zero1.sum()) == 4 and bool(zero1[:2, :2].all())


def test_cutout_odd_size() -> None:
    x = torch.ones(1, 1, 10, 10)
    out = apply_dsa(x, _params("cutout", [[0.5, 0.5]]))  # size 5, centre floor(0.5 * 10) = 5 -> rows 3..7
    assert int((out == 0).sum()) == 25
    assert bool((out[0, 0, 3:8, 3:8] == 0).all())


def test_scale_identity_and_enlarging() -> None:
    x = _images(2, c=1, h=9, w=9)
    r = 1.2
    u_one = (1.0 - 1.0 / r) / (r - 1.0 / r)  # draw that gives scale factor 1
    out = apply_dsa(x, _params("scale", [[u_one, u_one], [0.0, 0.0]]), scale_ratio=r)
    assert torch.allclose(out[0], x[0], atol=1e-5)
    # factor 1/r < 1 zooms in: sample coordinates shrink, so the centre pixel stays in place
    assert torch.allclose(out[1, 0, 4, 4], x[1, 0, 4, 4], atol=1e-5)
    assert not torch.allclose(out[1], x[1], atol=1e-3)


def test_scale_factor_exact_on_grid() -> None:
    # factor 0.5 with ratio 2: u = 0 -> 1/2; output pixel at normalized coordinate t samples t / 2
    x = torch.arange(5, dtype=torch.float32).view(1, 1, 1, 5).expand(1, 1, 5, 5).contiguous()
    out = apply_dsa(x, _params("scale", [[0.0, 0.0]]), scale_ratio=2.0)
    assert torch.allclose(out[0, 0, 2], torch.tensor([1.0, 1.5, 2.0, 2.5, 3.0]), atol=1e-5)


def test_rotate_zero_angle_is_identity() -> None:
    x = _images(2, c=3, h=6, w=7)
    out = apply_dsa(x, _params("rotate", [[0.5], [0.5]]))
    assert torch.allclose(out, x, atol=1e-5)
    out = apply_dsa(x, _params("rotate", [[0.9], [0.1]]), rotate_degrees=0.0)
    assert torch.allclose(out, x, atol=1e-5)


def test_rotate_ninety_degrees_matches_rot90() -> None:
    x = _images(1, c=1, h=5, w=5)
    out = apply_dsa(x, _params("rotate", [[1.0]]), rotate_degrees=90.0)
    turned = [torch.rot90(x, k, dims=(2, 3)) for k in (1, -1)]
    assert any(torch.allclose(out, t, atol=1e-5) for t in turned)


def test_rotate_opposite_angles_are_mirrors() -> None:
    x = _images(1, c=1, h=7, w=7)
    a = apply_dsa(x, _params("rotate", [[0.8]]))
    b = apply_dsa(x.flip(3), _params("rotate", [[0.2]])).flip(3)
    assert torch.allclose(a, b, atol=1e-5)
    assert not torch.allclose(a, x, atol=1e-3)


def test_float64_input_keeps_dtype() -> None:
    x = _images(2).double()
    for op in OPS:
        out = apply_dsa(x, sample_dsa_params(2, _gen(1), (op,)))
        assert out.dtype == torch.float64
