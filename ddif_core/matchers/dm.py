"""Distribution matching (DM; Zhao & Bilen, WACV 2023).

Each iteration draws a freshly initialised network, embeds a real batch and the decoded synthetic
batch of every class, and matches the per-class mean embeddings:
``sum_c || mean(embed(real_c)) - mean(embed(syn_c)) ||^2``. Augmentation is siamese as in DSA's
reference: per class one draw (one slot), applied to every real and every synthetic sample of it.
"""

from __future__ import annotations

import torch
from pydantic import Field

from ddif_core.matcher import Matcher, MatcherContext, MatcherOptions
from ddif_core.parameterization import Parameterization


class DMOptions(MatcherOptions):
    batch_real: int = Field(256, ge=1, description="Real instances per class per iteration.")
    batch_syn: int | None = Field(None, ge=1, description="Synthetic items per class per iteration (default all).")
    augment: bool = Field(True, description="Siamese augmentation of the modality (DSA for images).")
    real_chunk: int | None = Field(
        None, ge=1, description="Embed the real batch in chunks of this size (default 32 on CPU, whole on GPU)."
    )


class DistributionMatching(Matcher):
    """Match per-class mean embeddings of randomly initialised networks."""

    name = "dm"
    description = "Distribution matching: per-class mean embeddings of random networks (Zhao & Bilen 2023)."
    Options = DMOptions
    pixel_baseline = {"optimizer": "sgd", "lr": 1.0, "momentum": 0.5}  # original DM on images

    def step(self, ctx: MatcherContext, synthetic: Parameterization, generator: torch.Generator) -> torch.Tensor:
        o: DMOptions = self.options  # type: ignore[assignment]
        c = ctx.num_classes
        net = ctx.build_network(o.net)
        net.requires_grad_(False)
        real_idx = ctx.real.sample_indices(o.batch_real, generator)  # (C, Br)
        br = real_idx.shape[1]
        syn_index = synthetic.class_index(per_class=o.batch_syn, generator=generator)
        bs = syn_index.numel() // c
        # one augmentation per class, shared by all its real and synthetic samples (slot = class)
        params = ctx.modality.sample_siamese_augmentation(c, generator) if o.augment else None

        chunk = o.real_chunk or (32 if ctx.device.type == "cpu" else br * c)
        flat = real_idx.reshape(-1)
        real_slots = torch.arange(c).repeat_interleave(br)
        feats = []
        with torch.no_grad():
            for i in range(0, flat.numel(), chunk):  # chunks of the one real batch (cache-sized on CPU)
                x = ctx.real.get(flat[i : i + chunk]).to(ctx.device)
                feats.append(net.embed(ctx.modality.augment(x, params, real_slots[i : i + chunk])))
        real_mean = torch.cat(feats).reshape(c, br, -1).mean(dim=1)  # (C, F)

        x_syn = synthetic.decode(syn_index)  # (C*Bs, m, ...)
        x_syn = ctx.modality.augment(x_syn, params, torch.arange(c).repeat_interleave(bs))
        syn_mean = net.embed(x_syn).reshape(c, bs, -1).mean(dim=1)  # (C, F)
        return (real_mean - syn_mean).square().sum()
