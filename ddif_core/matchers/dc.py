"""Gradient matching (DC; Zhao, Mopuri & Bilen, ICLR 2021).

For a network, the gradient of the classification loss w.r.t. its parameters on a real batch of
class c is matched with the gradient on the decoded synthetic batch of class c, using the DC
paper's layer-wise distance: each weight gradient is viewed as (output units, rest) and the
distance sums ``1 - cos`` over output units (1-D tensors such as biases and norm scales are left
out, as in DC). Per-class gradients are computed for all classes at once with
``torch.func.vmap(grad(...))`` (``randomness="different"``: each class draws its own dropout masks).

Outer/inner loops as in DC's Algorithm 1 and its code: a network is freshly initialised every
``outer_loop`` iterations; between two iterations on the same network it is trained for
``inner_loop`` epochs over the whole decoded synthetic set (detached; SGD at ``lr_net``, batches of
``batch_train``, the modality's augmentation) through the shared SGD loop, so the next iteration
matches gradients at a later point of training. No training follows the last iteration of a network.
The network and the loop counter are checkpointed, so ``--resume`` continues exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from pydantic import Field
from torch.func import functional_call, grad, vmap

from ddif_core.matcher import Matcher, MatcherContext, MatcherOptions
from ddif_core.parameterization import Parameterization
from ddif_core.training import SGDSchedule, tensor_fetch, train_sgd

#: DC's (outer_loop, inner_loop) by images per class.
DC_LOOPS = {1: (1, 1), 10: (10, 50), 20: (20, 25), 30: (30, 20), 40: (40, 15), 50: (50, 10)}


class DCOptions(MatcherOptions):
    batch_real: int = Field(256, ge=1, description="Real instances per class per iteration.")
    batch_syn: int | None = Field(None, ge=1, description="Synthetic items per class per iteration (default all).")
    outer_loop: int | None = Field(None, ge=1, description="Iterations per network (default DC's table by IPC).")
    inner_loop: int | None = Field(
        None, ge=0, description="Epochs of network training on the synthetic set between iterations (default DC's table)."
    )
    lr_net: float = Field(0.01, gt=0, description="SGD learning rate of the inner network training (DC: 0.01).")
    batch_train: int = Field(256, ge=1, description="Batch size of the inner network training (DC: 256).")
    augment: bool = Field(True, description="Siamese augmentation of the modality (DSA for images).")
    class_chunk: int | None = Field(
        None, ge=1, description="Classes per vmapped gradient pass (memory bound; default 2 on CPU, all on GPU)."
    )


def gradient_distance(g_syn: dict[str, torch.Tensor], g_real: dict[str, torch.Tensor]) -> torch.Tensor:
    """DC's layer-wise distance, summed over layers and over the leading class axis.

    :param g_syn: parameter name -> (C, *shape) per-class gradients on synthetic data.
    :param g_real: the same on real data.
    :returns: 0-dim tensor: sum over classes, layers and output units of 1 - cos.
    """
    total = None
    for name, gs in g_syn.items():
        if gs.dim() <= 2:  # (C, n): biases and norm parameters are left out, as in DC
            continue
        gr = g_real[name]
        a = gs.reshape(gs.shape[0], gs.shape[1], -1)  # (C, out, rest)
        b = gr.reshape(gr.shape[0], gr.shape[1], -1)
        cos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + 1e-6)  # (C, out)
        term = (1.0 - cos).sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError("the network has no weight tensor of 2 or more dimensions to match gradients on")
    return total


class GradientMatching(Matcher):
    """Match per-class gradients of a network on real and synthetic batches (DC)."""

    name = "dc"
    description = "Gradient matching: per-class network gradients, real vs synthetic (Zhao et al. 2021)."
    Options = DCOptions
    pixel_baseline = {"optimizer": "sgd", "lr": 0.1, "momentum": 0.5}  # original DC/DSA on images

    def __init__(self, options: DCOptions | None = None) -> None:
        super().__init__(options)
        self._net: torch.nn.Module | None = None
        self._step_in_loop = 0
        self._build_network: Callable[..., torch.nn.Module] | None = None

    def loops(self, ipc: int) -> tuple[int, int]:
        """(outer_loop, inner_loop): the options, else DC's table at the nearest images-per-class."""
        o: DCOptions = self.options  # type: ignore[assignment]
        outer, inner = DC_LOOPS[min(DC_LOOPS, key=lambda k: abs(k - ipc))]
        return (o.outer_loop or outer), (inner if o.inner_loop is None else o.inner_loop)

    def prepare(self, ctx: MatcherContext) -> None:
        self._build_network = ctx.build_network

    def step(self, ctx: MatcherContext, synthetic: Parameterization, generator: torch.Generator) -> torch.Tensor:
        o: DCOptions = self.options  # type: ignore[assignment]
        outer, inner = self.loops(ctx.ipc)
        if self._net is None or self._step_in_loop >= outer:
            self._net, self._step_in_loop = ctx.build_network(o.net), 0
        elif inner > 0:
            self._train_inner(ctx, synthetic, generator, inner)
        self._step_in_loop += 1
        net = self._net
        params = {k: v.detach() for k, v in net.named_parameters()}
        c = ctx.num_classes

        real_idx = ctx.real.sample_indices(o.batch_real, generator)  # (C, Br)
        br = real_idx.shape[1]
        syn_index = synthetic.class_index(per_class=o.batch_syn, generator=generator)
        bs = syn_index.numel() // c
        # siamese as in DSA's reference: one draw per class for all its real and synthetic samples
        aug = ctx.modality.sample_siamese_augmentation(c, generator) if o.augment else None
        x_real = ctx.real.get(real_idx).to(ctx.device)
        x_real = ctx.modality.augment(x_real, aug, torch.arange(c).repeat_interleave(br))
        x_syn = ctx.modality.augment(synthetic.decode(syn_index), aug, torch.arange(c).repeat_interleave(bs))
        labels = torch.arange(c, device=ctx.device)

        def class_loss(p: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            out = functional_call(net, p, (x,))
            return F.cross_entropy(out, y.expand(x.shape[0]))

        chunk = o.class_chunk or (2 if ctx.device.type == "cpu" else c)
        per_class = vmap(grad(class_loss), in_dims=(None, 0, 0), chunk_size=chunk, randomness="different")
        with torch.no_grad():
            g_real = per_class(params, x_real.reshape(c, br, *x_real.shape[1:]), labels)
        g_syn = per_class(params, x_syn.reshape(c, bs, *x_syn.shape[1:]), labels)
        return gradient_distance(g_syn, g_real)

    def _train_inner(self, ctx: MatcherContext, synthetic: Parameterization, generator: torch.Generator,
                     epochs: int) -> None:
        """DC's inner loop: ``epochs`` epochs of SGD on the whole detached synthetic set."""
        o: DCOptions = self.options  # type: ignore[assignment]
        assert self._net is not None
        with torch.no_grad():
            x_all = synthetic.decode()  # (K, m, N...)
        y_all = synthetic.labels.to(x_all.device)
        schedule = SGDSchedule(epochs=epochs, lr=o.lr_net, batch_size=o.batch_train, augment=o.augment)
        train_sgd(self._net, tensor_fetch(x_all, y_all), x_all.shape[0], schedule, ctx.modality, generator)

    def state_dict(self) -> dict[str, torch.Tensor]:
        if self._net is None:
            return {}
        state = {f"net.{k}": v.detach() for k, v in self._net.state_dict().items()}
        state["step_in_loop"] = torch.tensor(self._step_in_loop)
        return state

    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        if "step_in_loop" not in tensors:
            return
        o: DCOptions = self.options  # type: ignore[assignment]
        assert self._build_network is not None, "prepare() runs before load_state_dict()"
        self._net = self._build_network(o.net)
        self._net.load_state_dict({k.removeprefix("net."): v for k, v in tensors.items() if k.startswith("net.")})
        self._step_in_loop = int(tensors["step_in_loop"])
