import math

import pytest
import torch

from ddif_core.fields import FieldBank
from ddif_core.grid import coordinate_grid


def reference_decode(bank: FieldBank, coords: torch.Tensor) -> torch.Tensor:
    """One field at a time, written out from the SIREN equations."""
    outs = []
    for k in range(bank.num_fields):
        h = torch.sin(bank.w0_first * (coords @ bank.weights[0][k].T + bank.biases[0][k, :, 0]))
        for i in range(1, bank.layers):
            h = torch.sin(bank.w0 * (h @ bank.weights[i][k].T + bank.biases[i][k, :, 0]))
        outs.append(h @ bank.weights[-1][k].T + bank.biases[-1][k, :, 0])
    return torch.stack(outs)


@pytest.mark.parametrize("layers,n,m", [(1, 2, 1), (2, 2, 3), (3, 3, 1)])
def test_decode_matches_reference(layers, n, m):
    bank = FieldBank(5, n, m, layers, 7, generator=torch.Generator().manual_seed(0))
    coords = coordinate_grid((4,) * n)
    ref = reference_decode(bank, coords)
    with torch.no_grad():
        fast = bank.decode(coords)
    assert fast.shape == (5, 4**n, m)
    assert torch.allclose(fast, ref, atol=1e-5)
    assert torch.allclose(bank.decode(coords), ref, atol=1e-5)  # grad path


def test_chunked_decode_equals_whole_and_subsets():
    bank = FieldBank(9, 2, 3, 3, 5, generator=torch.Generator().manual_seed(1))
    coords = coordinate_grid((6, 7))
    whole = reference_decode(bank, coords)
    bank.chunk_elements = bank.grad_chunk_elements = 40  # forces chunks over fields and over points
    with torch.no_grad():
        assert torch.allclose(bank.decode(coords), whole, atol=1e-5)
    assert torch.allclose(bank.decode(coords), whole, atol=1e-5)  # chunked grad path
    idx = torch.tensor([8, 0, 3])
    assert torch.allclose(bank.decode(coords, idx), whole[idx], atol=1e-5)


def test_param_count_and_siren_init():
    bank = FieldBank(4, 2, 3, 2, 6, generator=torch.Generator().manual_seed(0))
    assert bank.params_per_field == 81
    assert sum(p.numel() for p in bank.parameters()) == 4 * 81
    assert bank.weights[0].abs().max() <= 1 / 2
    assert bank.weights[1].abs().max() <= math.sqrt(6 / 6) / 30
    assert bank.weights[1].abs().max() > 0.5 * math.sqrt(6 / 6) / 30


def test_gradients_reach_selected_fields_only():
    bank = FieldBank(4, 2, 1, 2, 5, generator=torch.Generator().manual_seed(0))
    bank.decode(coordinate_grid((3, 3)), torch.tensor([1, 2])).sum().backward()
    g = bank.weights[1].grad
    assert g[1].abs().sum() > 0 and g[2].abs().sum() > 0
    assert g[0].abs().sum() == 0 and g[3].abs().sum() == 0


def test_batched_fit_equals_independent_fits():
    coords = coordinate_grid((5, 5))
    targets = torch.randn(3, 25, 1, generator=torch.Generator().manual_seed(3))
    bank = FieldBank(3, 2, 1, 2, 6, generator=torch.Generator().manual_seed(0))
    singles = []
    for k in range(3):
        s = FieldBank(1, 2, 1, 2, 6)
        with torch.no_grad():
            for ps, pb in zip(s.parameters(), bank.parameters()):
                ps.copy_(pb[k : k + 1])
        singles.append(s)
    history = bank.fit(coords, targets, steps=30, lr=1e-3)
    for k, s in enumerate(singles):
        s.fit(coords, targets[k : k + 1], steps=30, lr=1e-3)
        for ps, pb in zip(s.parameters(), bank.parameters()):
            assert torch.allclose(ps[0], pb[k], atol=1e-5)
    assert history[-1] < history[0]


def test_warmup_fits_an_image_closely():
    coords = coordinate_grid((8, 8))
    yy, xx = coords[:, 0], coords[:, 1]
    target = torch.sin(3 * xx) * torch.cos(2 * yy)
    bank = FieldBank(1, 2, 1, 2, 16, generator=torch.Generator().manual_seed(0))
    hist = bank.fit(coords, target.view(1, -1, 1), steps=300, lr=5e-3)
    assert hist[-1] < 1e-3 < hist[0]


def test_bad_inputs():
    bank = FieldBank(2, 2, 1, 1, 3)
    with pytest.raises(ValueError, match="coords must be"):
        bank.decode(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="targets must be"):
        bank.fit(torch.zeros(4, 2), torch.zeros(2, 5, 1), 1, 1e-3)
    with pytest.raises(ValueError):
        FieldBank(0, 2, 1, 1, 3)


@pytest.mark.parametrize("sizes,chunk", [((9, 7), 1 << 19), ((9, 7), 40), ((3, 4, 5), 1 << 19), ((3, 4, 5), 60),
                                         ((11,), 1 << 19), ((1, 6), 1 << 19)])
def test_decode_grid_equals_decode_on_the_grid(sizes, chunk):
    """The separable first layer (sin(a + b) identity) gives the values and gradients of the plain path."""
    n = len(sizes)
    bank = FieldBank(6, n, 2, 2, 5, generator=torch.Generator().manual_seed(1), chunk_elements=chunk,
                     grad_chunk_elements=chunk)
    coords = coordinate_grid(sizes)
    ref = reference_decode(bank, coords).transpose(1, 2)  # (K, m, P)
    with torch.no_grad():
        assert torch.allclose(bank.decode_grid(sizes), ref, atol=1e-5)
        idx = torch.tensor([4, 0, 4])
        assert torch.allclose(bank.decode_grid(sizes, idx), ref[idx], atol=1e-5)
    out = bank.decode_grid(sizes)
    (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
    grads = [p.grad.clone() for p in bank.parameters()]
    bank.zero_grad()
    out = reference_decode(bank, coords).transpose(1, 2)
    (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
    for g, r in zip(grads, (p.grad for p in bank.parameters())):
        assert torch.allclose(g, r, atol=1e-4, rtol=1e-4)


def test_decode_grid_rejects_wrong_dimension():
    bank = FieldBank(2, 2, 1, 2, 3)
    with pytest.raises(ValueError, match="needs 2 sizes"):
        bank.decode_grid((4, 4, 4))


@pytest.mark.parametrize("sizes", [(6, 7), (3, 4, 5), (13,)])
def test_recomputed_decode_equals_the_plain_path(sizes):
    """Above recompute_bytes the gradient path recomputes per chunk: same values, same gradients, less kept."""
    n = len(sizes)
    plain = FieldBank(5, n, 2, 3, 6, generator=torch.Generator().manual_seed(4), recompute_bytes=0)
    small = FieldBank(5, n, 2, 3, 6, recompute_bytes=1)  # every decode with gradients recomputes
    small.load_state_dict(plain.state_dict())
    idx = torch.tensor([3, 1, 3])
    weight = None
    grads, kept = [], []
    for bank in (plain, small):
        saved = [0]

        def pack(t, saved=saved):
            saved[0] += t.numel()
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = bank.decode_grid(sizes, idx)
        weight = torch.linspace(-1, 1, out.numel()).view_as(out) if weight is None else weight
        (out * weight).sum().backward()
        grads.append([p.grad.clone() for p in bank.parameters()])
        kept.append(saved[0])
        if bank is plain:
            ref = out.detach()
        else:
            assert torch.equal(out.detach(), ref)
    for g, r in zip(*grads):
        assert torch.allclose(g, r, atol=1e-6, rtol=1e-5)
    assert kept[1] < kept[0] / 2  # only the chunk inputs and outputs are kept


def test_chunked_fit_equals_the_fit_of_all_fields_at_once():
    targets = torch.randn(5, 20, 2, generator=torch.Generator().manual_seed(5))
    whole = FieldBank(5, 2, 2, 2, 6, generator=torch.Generator().manual_seed(6), recompute_bytes=0)
    chunked = FieldBank(5, 2, 2, 2, 6, recompute_bytes=2 * whole.activation_bytes(20))  # chunks of 2, 2, 1
    chunked.load_state_dict(whole.state_dict())
    seen = []
    h_whole = whole.fit((4, 5), targets, steps=30, lr=1e-3)
    h_chunked = chunked.fit((4, 5), lambda k0, k1: targets[k0:k1], steps=30, lr=1e-3,
                            progress=lambda done, total, mse: seen.append((done, total)))
    for a, b in zip(whole.parameters(), chunked.parameters()):
        assert torch.allclose(a, b, atol=1e-6)
    assert h_chunked == pytest.approx(h_whole, rel=1e-5)
    assert seen[-1] == (90, 90) and len({t for _, t in seen}) == 1
