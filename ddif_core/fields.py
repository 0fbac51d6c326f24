"""A bank of K SIREN neural fields stored as stacked tensors (the hot path of DDiF).

Field k maps a coordinate c in [-1, 1]^n to m channel values::

    h_0 = sin(w0_first * (W_0^k c + b_0^k))               # n -> d
    h_l = sin(w0 * (W_l^k h_{l-1} + b_l^k)),  l = 1..L-1   # d -> d
    y   = W_L^k h_{L-1} + b_L^k                           # d -> m (linear)

All K fields live in one tensor per layer (weights (K, d_out, d_in), biases (K, d_out, 1)), so
decoding any subset of fields on any grid is a handful of batched matrix products, chunked over
fields and points to keep memory bounded. The w0 factor is folded into the matrix product
(``baddbmm(..., alpha=w0, beta=w0)``) so it costs nothing. Activations are laid out (k, d, P):
points along the fast axis, which keeps the batched products efficient for the tiny widths DDiF
uses (d = 6 on CIFAR) and makes the decoded (k, m, P) output reshape straight into instances.
Instances are decoded with :meth:`FieldBank.decode_grid`, which exploits the product structure of
the grid in the first layer (no sines over the full grid there).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from ddif_core.budget import params_per_field
from ddif_core.grid import grid_axes

#: ``first(w, b, p0, pp, out) -> (k, d, pp)``: first-layer activations of points p0:p0+pp (see
#: :meth:`FieldBank._decode_chunked`).
FirstLayer = Callable[[torch.Tensor, torch.Tensor, int, int, "torch.Tensor | None"], torch.Tensor]

#: Upper bound on the elements of one hidden-activation chunk (k_chunk x p_chunk x width) when decoding
#: without gradients: the two reused buffers stay cache-sized.
DEFAULT_CHUNK_ELEMENTS = 1 << 19
#: With gradients every activation is kept for the backward pass anyway, so chunks only bound the
#: transient temporaries; fewer, larger chunks avoid per-chunk overhead and the final concatenation.
GRAD_CHUNK_ELEMENTS = 1 << 24
#: Above this many bytes of activations kept for the backward pass, a decode with gradients recomputes
#: them chunk by chunk in the backward pass instead (``torch.utils.checkpoint``): it keeps only its output.
RECOMPUTE_ABOVE_BYTES = 1 << 30
#: Cap on one recomputed chunk (k_chunk x p_chunk x width elements): bounds the backward's transient peak.
RECOMPUTE_CHUNK_ELEMENTS = 1 << 22


class FieldBank(nn.Module):
    """K SIREN fields R^n -> R^m with ``layers`` sine layers of ``width`` units and a linear output.

    Weights are stored as (K, d_out, d_in) and biases as (K, d_out, 1); activations flow as
    (k, features, points), so every layer is one batched product ``W @ h`` whose long axis is the
    points (efficient even for tiny widths) and the first layer, whose input is shared by all
    fields, is a single matrix product.

    :param num_fields: K.
    :param in_features: n, the coordinate dimension (2 for images, 3 for video/voxels).
    :param out_features: m, the channels of a decoded instance.
    :param layers: L, the number of sine layers (the paper's L); a linear output layer is added.
    :param width: d, the units of every sine layer.
    :param w0: frequency factor of the hidden sine layers.
    :param w0_first: frequency factor of the first sine layer.
    :param generator: random source for the SIREN initialisation (for reproducible runs).
    :param chunk_elements: cap on one hidden activation chunk when decoding without gradients.
    :param grad_chunk_elements: the same cap when gradients are recorded.
    :param recompute_bytes: a decode with gradients whose kept activations (:meth:`activation_bytes`)
        would exceed this recomputes them per chunk in the backward pass; :meth:`fit` fits fields in
        chunks whose activations stay below it. 0 disables both.
    """

    def __init__(
        self,
        num_fields: int,
        in_features: int,
        out_features: int,
        layers: int,
        width: int,
        w0: float = 30.0,
        w0_first: float = 30.0,
        generator: torch.Generator | None = None,
        chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
        grad_chunk_elements: int = GRAD_CHUNK_ELEMENTS,
        recompute_bytes: int = RECOMPUTE_ABOVE_BYTES,
    ) -> None:
        super().__init__()
        if num_fields < 1:
            raise ValueError(f"a field bank needs at least one field, got {num_fields}")
        if layers < 1 or width < 1:
            raise ValueError(f"layers and width must be at least 1, got layers={layers}, width={width}")
        self.num_fields = num_fields
        self.in_features = in_features
        self.out_features = out_features
        self.layers = layers
        self.width = width
        self.w0 = float(w0)
        self.w0_first = float(w0_first)
        self.chunk_elements = int(chunk_elements)
        self.grad_chunk_elements = int(grad_chunk_elements)
        self.recompute_bytes = int(recompute_bytes)
        dims = [in_features] + [width] * layers + [out_features]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.empty(num_fields, dims[i + 1], dims[i])) for i in range(len(dims) - 1)
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.empty(num_fields, dims[i + 1], 1)) for i in range(len(dims) - 1)
        )
        self.reset_parameters(generator)

    @property
    def params_per_field(self) -> int:
        """d(n+1) + (L-1)d(d+1) + m(d+1)."""
        return params_per_field(self.in_features, self.layers, self.width, self.out_features)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """SIREN initialisation (Sitzmann et al. 2020).

        First layer weights ~ U(-1/n, 1/n); later weights (hidden and output) ~ U(-sqrt(6/d_in)/w0,
        sqrt(6/d_in)/w0) with the hidden layers' ``w0``. Each layer's biases are drawn with the same
        bound as its weights, as the authors' SIREN layers do.
        """
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            bound = self.init_bound(i)
            w.copy_(torch.rand(w.shape, generator=generator) * (2 * bound) - bound)
            b.copy_(torch.rand(b.shape, generator=generator) * (2 * bound) - bound)

    def init_bound(self, layer: int) -> float:
        """Half-width of the uniform initialisation of layer ``layer``'s weights and biases."""
        fan_in = self.weights[layer].shape[-1]
        return 1.0 / fan_in if layer == 0 else math.sqrt(6.0 / fan_in) / self.w0

    def activation_bytes(self, num_points: int, num_fields: int = 1) -> int:
        """Bytes a decode with gradients keeps for the backward pass without recomputation.

        Per field and point: the first layer's output, the pre-activation and output of each of the
        L - 1 hidden sine layers, and the m outputs, i.e. ((2L - 1) d + m) values.
        """
        per_point = (2 * self.layers - 1) * self.width + self.out_features
        return num_fields * num_points * per_point * self.weights[0].element_size()

    def _chunks(self, k: int, p: int, limit: int) -> tuple[int, int]:
        """Field and point chunk sizes so that one hidden activation holds <= ``limit`` elements."""
        per_field = p * self.width
        if per_field <= limit:
            return max(1, min(k, limit // per_field)), p
        return 1, max(1, limit // self.width)

    def decode(self, coords: torch.Tensor, index: torch.Tensor | None = None) -> torch.Tensor:
        """Evaluate fields on shared coordinates.

        :param coords: (P, n) points, normally in [-1, 1]^n (see :func:`ddif_core.grid.coordinate_grid`).
        :param index: optional (k,) LongTensor of field indices; all K fields when omitted.
        :returns: (k, P, m) field outputs, differentiable w.r.t. the parameters when grad is enabled.
            It is a view of a (k, m, P) tensor: ``.transpose(1, 2)`` gives channel-major values for free.
        """
        return self.decode_channels_first(coords, index).transpose(1, 2)

    def decode_channels_first(self, coords: torch.Tensor, index: torch.Tensor | None = None) -> torch.Tensor:
        """Like :meth:`decode` but returns a contiguous (k, m, P) tensor (reshape to (k, m, N_1..N_n))."""
        first, p, step = self._coords_plan(coords)
        return self._decode_chunked(first, self._selected(index), p, step)

    def _coords_plan(self, coords: torch.Tensor) -> tuple[FirstLayer, int, int]:
        """The first layer on arbitrary points: (first, P, 1) for :meth:`_decode_chunked`."""
        if coords.dim() != 2 or coords.shape[1] != self.in_features:
            raise ValueError(f"coords must be (P, {self.in_features}), got {tuple(coords.shape)}")
        ref = self.weights[0]
        coords_t = coords.to(device=ref.device, dtype=ref.dtype).t()  # (n, P)

        def first(w: torch.Tensor, b: torch.Tensor, p0: int, pp: int, out: torch.Tensor | None) -> torch.Tensor:
            # shared input: one (k*d, n) @ (n, p) product for all fields
            kk, d, n = w.shape
            args = (b.reshape(kk * d, 1), w.reshape(kk * d, n), coords_t[:, p0 : p0 + pp])
            if out is None:
                return torch.sin(torch.addmm(*args)).view(kk, d, pp)
            return torch.addmm(*args, out=out.view(kk * d, pp)).sin_().view(kk, d, pp)

        return first, coords_t.shape[1], 1

    def decode_grid(self, sizes: Sequence[int], index: torch.Tensor | None = None) -> torch.Tensor:
        """Evaluate fields on the full grid :func:`~ddif_core.grid.coordinate_grid` ``(sizes)``.

        Returns the same (k, m, P) values as ``decode_channels_first(coordinate_grid(sizes), index)``
        (to float rounding), faster: on a grid the first layer's pre-activation is a sum of one term
        per axis, ``z = a(x_1) + b(x_2) + ...``, so ``sin(a + b) = sin a cos b + cos a sin b`` replaces
        its P x d sines by per-axis sines and cosines and two multiply-adds per activation (applied
        axis by axis for n > 2). Differentiable like :meth:`decode`; chunked over fields and over
        slabs of the first axis.

        :param sizes: points per axis (N_1, ..., N_n), n = ``in_features``.
        :param index: optional (k,) LongTensor of field indices; all K fields when omitted.
        :returns: (k, m, P) with P = prod(sizes), row-major over the axes.
        """
        first, p, step = self._grid_plan(sizes)
        return self._decode_chunked(first, self._selected(index), p, step)

    def _grid_plan(self, sizes: Sequence[int]) -> tuple[FirstLayer, int, int]:
        """The separable first layer on a grid: (first, P, points per slab of the first axis)."""
        sizes = tuple(int(v) for v in sizes)
        if len(sizes) != self.in_features:
            raise ValueError(f"a grid of {self.in_features}-D fields needs {self.in_features} sizes, got {sizes}")
        ref = self.weights[0]
        axes = grid_axes(sizes, ref.device, ref.dtype)
        if len(sizes) == 1:
            return self._coords_plan(axes[0][:, None])
        row = math.prod(sizes[1:])

        def first(w: torch.Tensor, b: torch.Tensor, p0: int, pp: int, out: torch.Tensor | None) -> torch.Tensor:
            return _grid_first_layer(w, b, axes, p0 // row, (p0 + pp) // row, out)

        return first, sizes[0] * row, row

    def _selected(self, index: torch.Tensor | None) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(weight, bias) of every layer, restricted to the fields ``index`` when given."""
        params = [(w, b) for w, b in zip(self.weights, self.biases)]
        if index is None:
            return params
        index = index.to(self.weights[0].device)
        return [(w.index_select(0, index), b.index_select(0, index)) for w, b in params]

    def _decode_chunked(self, first: FirstLayer, params: list[tuple[torch.Tensor, torch.Tensor]], p: int,
                        step: int) -> torch.Tensor:
        """Decode P points, chunked over fields and over point ranges that are multiples of ``step``.

        ``first(w, b, p0, pp, out)`` gives the first layer's activations (k, d, pp) of points
        p0:p0+pp for the fields of (w, b), whose w0 is already folded in, written into ``out`` when
        one is given (no-grad decoding). With gradients and more than ``recompute_bytes`` of
        activations to keep, every chunk runs under ``torch.utils.checkpoint``: the backward pass
        recomputes its activations, so the decode keeps only its (k, m, P) output.
        """
        k = params[0][0].shape[0]
        grad = torch.is_grad_enabled() and any(w.requires_grad for w, _ in params)
        recompute = grad and 0 < self.recompute_bytes < self.activation_bytes(p, k)
        if recompute:
            limit = RECOMPUTE_CHUNK_ELEMENTS
        else:
            limit = max(self.chunk_elements, self.grad_chunk_elements) if grad else self.chunk_elements
        kc, pc = self._chunks(k, p, limit)
        pc = max(1, pc // step) * step  # whole slabs of the first grid axis
        if not grad:
            return self._decode_inference(first, params, p, kc, pc)
        rows = []
        for k0 in range(0, k, kc):
            chunk = [(w[k0 : k0 + kc], b[k0 : k0 + kc]) for w, b in params]
            w0, b0 = chunk[0][0] * self.w0_first, chunk[0][1] * self.w0_first
            rest = [t for pair in chunk[1:] for t in pair]
            cols = []
            for p0 in range(0, p, pc):
                pp = min(pc, p - p0)
                if recompute:
                    cols.append(checkpoint(self._chunk_forward, first, p0, pp, w0, b0, *rest, use_reentrant=True))
                else:
                    cols.append(self._chunk_forward(first, p0, pp, w0, b0, *rest))
            rows.append(cols[0] if len(cols) == 1 else torch.cat(cols, dim=2))
        return rows[0] if len(rows) == 1 else torch.cat(rows, dim=0)

    def _chunk_forward(self, first: FirstLayer, p0: int, pp: int, w0: torch.Tensor, b0: torch.Tensor,
                       *rest: torch.Tensor) -> torch.Tensor:
        """Points p0:p0+pp of one field chunk: (k, m, pp). ``w0``/``b0`` have the first w0 folded in;
        ``rest`` holds (weight, bias) of the later layers, flattened (so checkpoint sees every tensor)."""
        pairs = [(rest[i], rest[i + 1]) for i in range(0, len(rest), 2)]
        return self._hidden_and_output(first(w0, b0, p0, pp, None), [(w0, b0), *pairs])

    def _hidden_and_output(self, h: torch.Tensor, params: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """Layers 2..L and the linear output on first-layer activations h (k, d, p) -> (k, m, p).

        The w0 factors scale the (tiny) weights and biases rather than the (large) activations, so the
        backward pass has no extra full-size multiplications.
        """
        for w, b in params[1:-1]:
            h = torch.sin(torch.baddbmm(b * self.w0, w * self.w0, h))
        w, b = params[-1]
        return torch.baddbmm(b, w, h)

    def _decode_inference(
        self, first: FirstLayer, params: list[tuple[torch.Tensor, torch.Tensor]], p: int, kc: int, pc: int
    ) -> torch.Tensor:
        """No-grad decode with two reused activation buffers and in-place sines (no page-fault churn).

        ``first`` writes the first layer's activations into ``out``, the first of the buffers (see
        :meth:`_decode_chunked`). The w0 factors are folded into copies of
        the (tiny) weights and biases once, so every product is a plain ``b + W @ h``.
        """
        with torch.no_grad():
            ref = params[0][0]
            k, d, m = ref.shape[0], self.width, self.out_features
            dev, dt = ref.device, ref.dtype
            scales = [self.w0_first] + [self.w0] * (self.layers - 1) + [1.0]
            params = [(w * s, b * s) if s != 1.0 else (w, b) for (w, b), s in zip(params, scales)]
            out = torch.empty(k, m, p, device=dev, dtype=dt)
            bufs = (torch.empty(kc * d * pc, device=dev, dtype=dt), torch.empty(kc * d * pc, device=dev, dtype=dt))
            buf_o = torch.empty(kc * m * pc, device=dev, dtype=dt)
            for p0 in range(0, p, pc):
                pp = min(pc, p - p0)
                for k0 in range(0, k, kc):
                    kk = min(kc, k - k0)
                    w, b = params[0]
                    h = first(w[k0 : k0 + kk], b[k0 : k0 + kk], p0, pp, bufs[0][: kk * d * pp])
                    cur = 0
                    for w, b in params[1:-1]:
                        nxt = bufs[1 - cur][: kk * d * pp].view(kk, d, pp)
                        torch.baddbmm(b[k0 : k0 + kk], w[k0 : k0 + kk], h, out=nxt)
                        h, cur = nxt.sin_(), 1 - cur
                    w, b = params[-1]
                    if pp == p:  # whole rows: write straight into the contiguous output
                        torch.baddbmm(b[k0 : k0 + kk], w[k0 : k0 + kk], h, out=out[k0 : k0 + kk])
                    else:
                        o = buf_o[: kk * m * pp].view(kk, m, pp)
                        torch.baddbmm(b[k0 : k0 + kk], w[k0 : k0 + kk], h, out=o)
                        out[k0 : k0 + kk, :, p0 : p0 + pp] = o
            return out

    def fit(
        self,
        grid: torch.Tensor | Sequence[int],
        targets: torch.Tensor | Callable[[int, int], torch.Tensor],
        steps: int,
        lr: float,
        progress: Callable[[int, int, float], None] | None = None,
    ) -> list[float]:
        """Fit every field to its own target (the paper's warm-up, Eq. 2), in chunks of fields.

        The loss is the sum over fields of each field's mean squared error, and Adam is element-wise,
        so fitting a chunk of fields at once is exactly that many independent fits: the bank fits
        as many fields at once as keep at most ``recompute_bytes`` of activations (all of them for
        small fields), one chunk after the other, with the same result.

        :param grid: grid sizes (N_1, ..., N_n) (decoded with :meth:`decode_grid`), or (P, n) coordinates.
        :param targets: (K, P, m) values each field should reproduce, or ``targets(k0, k1)`` giving
            those of fields k0:k1 (so only one chunk's targets are held at a time).
        :param steps: Adam iterations.
        :param lr: Adam learning rate.
        :param progress: optional ``progress(done, total, mean_mse)``, called every 100 steps of a
            chunk; ``total`` counts the steps of every chunk.
        :returns: per-field-mean MSE recorded every 100 steps (and at the last step), over all fields.
        """
        ref = self.weights[0]
        if isinstance(grid, torch.Tensor):
            first, p, step = self._coords_plan(grid.to(device=ref.device, dtype=ref.dtype))
        else:
            first, p, step = self._grid_plan(grid)
        k = self.num_fields
        if isinstance(targets, torch.Tensor) and targets.shape != (k, p, self.out_features):
            raise ValueError(f"targets must be ({k}, {p}, {self.out_features}), got {tuple(targets.shape)}")
        per_field = self.activation_bytes(p)
        kc = k if self.recompute_bytes <= 0 else max(1, min(k, self.recompute_bytes // per_field))
        chunks = [(k0, min(k, k0 + kc)) for k0 in range(0, k, kc)]
        total: list[float] = []
        for c, (k0, k1) in enumerate(chunks):
            part = targets[k0:k1] if isinstance(targets, torch.Tensor) else targets(k0, k1)
            if part.shape != (k1 - k0, p, self.out_features):
                raise ValueError(f"targets of fields {k0}:{k1} must be ({k1 - k0}, {p}, {self.out_features}), "
                                 f"got {tuple(part.shape)}")

            def report(done: int, mse: float, c: int = c) -> None:
                if progress is not None:
                    progress(c * steps + done, len(chunks) * steps, mse)

            history = self._fit_chunk(first, p, step, k0, k1, part, steps, lr, report)
            total = [t + h * (k1 - k0) / k for t, h in zip(total, history)] if total else [
                h * (k1 - k0) / k for h in history]
        return total

    def _fit_chunk(self, first: FirstLayer, p: int, step: int, k0: int, k1: int, targets: torch.Tensor,
                   steps: int, lr: float, report: Callable[[int, float], None]) -> list[float]:
        """Fit fields k0:k1 to targets (k, P, m) with their own Adam; the result is written back."""
        ref = self.weights[0]
        leaves = [(w[k0:k1].detach().clone().requires_grad_(True), b[k0:k1].detach().clone().requires_grad_(True))
                  for w, b in zip(self.weights, self.biases)]
        targets_cf = targets.to(device=ref.device, dtype=ref.dtype).transpose(1, 2).contiguous()  # (k, m, P)
        opt = torch.optim.Adam([t for pair in leaves for t in pair], lr=lr)
        history: list[float] = []
        per_field_scale = 1.0 / (p * self.out_features)
        for i in range(steps):
            opt.zero_grad(set_to_none=True)
            err = self._decode_chunked(first, leaves, p, step) - targets_cf
            loss = err.square().sum() * per_field_scale  # = sum over fields of each field's MSE
            loss.backward()
            opt.step()
            if i % 100 == 0 or i == steps - 1:
                mean_mse = loss.item() / (k1 - k0)
                history.append(mean_mse)
                report(i + 1, mean_mse)
        with torch.no_grad():
            for (w, b), (lw, lb) in zip(zip(self.weights, self.biases), leaves):
                w[k0:k1].copy_(lw)
                b[k0:k1].copy_(lb)
        return history


def _fused_if_available(param: torch.Tensor) -> dict[str, bool]:
    """Ask for the fused Adam kernel where this torch has one for the device (CPU since torch 2.4)."""
    major, minor = (int(v) for v in torch.__version__.split(".")[:2])
    return {"fused": True} if (major, minor) >= (2, 4) and param.device.type in ("cpu", "cuda") else {}


def _grid_first_layer(w: torch.Tensor, b: torch.Tensor, axes: list[torch.Tensor], r0: int, r1: int,
                      out: torch.Tensor | None = None) -> torch.Tensor:
    """First sine layer on rows r0:r1 of the first grid axis: (k, d, (r1 - r0) * N_2 * ... * N_n).

    ``w`` (k, d, n) and ``b`` (k, d, 1) have the first layer's w0 folded in. With z = a + b + ...
    (one term per axis), sin and cos of the partial sums are extended one axis at a time with
    sin(a + b) = sin a cos b + cos a sin b and cos(a + b) = cos a cos b - sin a sin b; the last axis
    needs only the sine. ``out`` (no-grad use only) receives the result.
    """
    z = torch.addcmul(b, w[:, :, 0:1], axes[0][r0:r1])  # (k, d, R)
    s, c = torch.sin(z), torch.cos(z)
    n = len(axes)
    for t in range(1, n):
        zt = w[:, :, t : t + 1] * axes[t]  # (k, d, N_t)
        st, ct = torch.sin(zt)[:, :, None, :], torch.cos(zt)[:, :, None, :]
        s4, c4 = s[:, :, :, None], c[:, :, :, None]
        shape = (s.shape[0], s.shape[1], s.shape[2] * zt.shape[2])
        last = t == n - 1
        if last and out is not None:
            s_new = torch.mul(s4, ct, out=out.view(s.shape[0], s.shape[1], s.shape[2], zt.shape[2]))
        else:
            s_new = s4 * ct
        s_new = s_new.addcmul_(c4, st)
        if not last:
            c = (c4 * ct).addcmul_(s4, st, value=-1.0).view(shape)
        s = s_new.view(shape)
    return s
