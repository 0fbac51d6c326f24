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
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ddif_core.budget import params_per_field

#: Upper bound on the elements of one hidden-activation chunk (k_chunk x p_chunk x width) when decoding
#: without gradients: the two reused buffers stay cache-sized.
DEFAULT_CHUNK_ELEMENTS = 1 << 19
#: With gradients every activation is kept for the backward pass anyway, so chunks only bound the
#: transient temporaries; fewer, larger chunks avoid per-chunk overhead and the final concatenation.
GRAD_CHUNK_ELEMENTS = 1 << 24


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

        First layer weights ~ U(-1/n, 1/n); later weights ~ U(-sqrt(6/d_in)/w0, sqrt(6/d_in)/w0);
        biases ~ U(-1/sqrt(d_in), 1/sqrt(d_in)) as in ``nn.Linear``.
        """
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            fan_in = w.shape[-1]
            bound = 1.0 / fan_in if i == 0 else math.sqrt(6.0 / fan_in) / self.w0
            w.copy_(torch.rand(w.shape, generator=generator) * (2 * bound) - bound)
            b_bound = 1.0 / math.sqrt(fan_in)
            b.copy_(torch.rand(b.shape, generator=generator) * (2 * b_bound) - b_bound)

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
        if coords.dim() != 2 or coords.shape[1] != self.in_features:
            raise ValueError(f"coords must be (P, {self.in_features}), got {tuple(coords.shape)}")
        ref = self.weights[0]
        coords_t = coords.to(device=ref.device, dtype=ref.dtype).t()  # (n, P)
        params = [(w, b) for w, b in zip(self.weights, self.biases)]
        if index is not None:
            index = index.to(ref.device)
            params = [(w.index_select(0, index), b.index_select(0, index)) for w, b in params]
        k, p = params[0][0].shape[0], coords_t.shape[1]
        if not torch.is_grad_enabled() or not any(w.requires_grad for w, _ in params):
            kc, pc = self._chunks(k, p, self.chunk_elements)
            return self._decode_inference(coords_t, params, kc, pc)
        kc, pc = self._chunks(k, p, max(self.chunk_elements, self.grad_chunk_elements))
        rows = []
        for k0 in range(0, k, kc):
            chunk = [(w[k0 : k0 + kc], b[k0 : k0 + kc]) for w, b in params]
            cols = [self._forward(coords_t[:, p0 : p0 + pc], chunk) for p0 in range(0, p, pc)]
            rows.append(cols[0] if len(cols) == 1 else torch.cat(cols, dim=2))
        return rows[0] if len(rows) == 1 else torch.cat(rows, dim=0)

    def _forward(self, coords_t: torch.Tensor, params: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """Differentiable forward of one chunk: coords_t (n, p), params of k fields -> (k, m, p).

        The w0 factors scale the (tiny) weights and biases rather than the (large) activations, so the
        backward pass has no extra full-size multiplications.
        """
        w, b = params[0]
        k, d, n = w.shape
        # shared input: one (k*d, n) @ (n, p) product for all fields
        z = torch.addmm((b * self.w0_first).reshape(k * d, 1), (w * self.w0_first).reshape(k * d, n), coords_t)
        h = torch.sin(z).view(k, d, coords_t.shape[1])
        for w, b in params[1:-1]:
            h = torch.sin(torch.baddbmm(b * self.w0, w * self.w0, h))
        w, b = params[-1]
        return torch.baddbmm(b, w, h)

    def _decode_inference(
        self, coords_t: torch.Tensor, params: list[tuple[torch.Tensor, torch.Tensor]], kc: int, pc: int
    ) -> torch.Tensor:
        """No-grad decode with two reused activation buffers and in-place sines (no page-fault churn).

        The w0 factors are folded into copies of the (tiny) weights and biases once, so every product
        is a plain ``b + W @ h`` (no scaling passes over the activations).
        """
        with torch.no_grad():
            n, p = coords_t.shape
            k, d, m = params[0][0].shape[0], self.width, self.out_features
            dev, dt = coords_t.device, coords_t.dtype
            scales = [self.w0_first] + [self.w0] * (self.layers - 1) + [1.0]
            params = [(w * s, b * s) if s != 1.0 else (w, b) for (w, b), s in zip(params, scales)]
            out = torch.empty(k, m, p, device=dev, dtype=dt)
            bufs = (torch.empty(kc * d * pc, device=dev, dtype=dt), torch.empty(kc * d * pc, device=dev, dtype=dt))
            buf_o = torch.empty(kc * m * pc, device=dev, dtype=dt)
            for p0 in range(0, p, pc):
                pp = min(pc, p - p0)
                c = coords_t[:, p0 : p0 + pp]
                for k0 in range(0, k, kc):
                    kk = min(kc, k - k0)
                    w, b = params[0]
                    h = bufs[0][: kk * d * pp].view(kk * d, pp)
                    torch.addmm(b[k0 : k0 + kk].reshape(kk * d, 1), w[k0 : k0 + kk].reshape(kk * d, n), c, out=h)
                    h = h.sin_().view(kk, d, pp)
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
        coords: torch.Tensor,
        targets: torch.Tensor,
        steps: int,
        lr: float,
        progress: object | None = None,
    ) -> list[float]:
        """Fit every field to its own target at once (the paper's warm-up, Eq. 2).

        The loss is the sum over fields of each field's mean squared error, and Adam is element-wise,
        so this is exactly K independent fits run in one batched loop.

        :param coords: (P, n) grid.
        :param targets: (K, P, m) values each field should reproduce.
        :param steps: Adam iterations.
        :param lr: Adam learning rate.
        :param progress: optional callable ``progress(step, mean_mse)`` called every 100 steps.
        :returns: per-field-mean MSE recorded every 100 steps (and at the last step).
        """
        if targets.shape != (self.num_fields, coords.shape[0], self.out_features):
            raise ValueError(
                f"targets must be ({self.num_fields}, {coords.shape[0]}, {self.out_features}), "
                f"got {tuple(targets.shape)}"
            )
        targets = targets.to(device=self.weights[0].device, dtype=self.weights[0].dtype)
        coords = coords.to(device=self.weights[0].device, dtype=self.weights[0].dtype)
        targets_cf = targets.transpose(1, 2).contiguous()  # (K, m, P), the layout decoding produces
        opt = torch.optim.Adam(self.parameters(), lr=lr)
        history: list[float] = []
        per_field_scale = 1.0 / (coords.shape[0] * self.out_features)
        for step in range(steps):
            opt.zero_grad(set_to_none=True)
            err = self.decode_channels_first(coords) - targets_cf
            loss = err.square().sum() * per_field_scale  # = sum over fields of each field's MSE
            loss.backward()
            opt.step()
            if step % 100 == 0 or step == steps - 1:
                mean_mse = loss.item() / self.num_fields
                history.append(mean_mse)
                if progress is not None:
                    progress(step, mean_mse)  # type: ignore[operator]
        return history


def _fused_if_available(param: torch.Tensor) -> dict[str, bool]:
    """Ask for the fused Adam kernel where this torch has one for the device (CPU since torch 2.4)."""
    major, minor = (int(v) for v in torch.__version__.split(".")[:2])
    return {"fused": True} if (major, minor) >= (2, 4) and param.device.type in ("cpu", "cuda") else {}
