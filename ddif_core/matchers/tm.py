"""Trajectory matching (TM / MTT; Cazenavette et al., CVPR 2022).

A student network starts from an expert's parameters at a random epoch ``s <= max_start_epoch``,
takes ``syn_steps`` SGD steps on decoded synthetic mini-batches with a learnable step size, and the
loss is ``||theta_student - theta_expert(s + M)||^2 / ||theta_expert(s) - theta_expert(s + M)||^2``
with M = ``expert_epochs``; it is back-propagated through the unrolled steps into the stored
parameters and the step size. The student is a flat parameter vector run through the network with
``torch.func.functional_call`` (no module copies per step).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from pydantic import Field
from torch.func import functional_call

from ddif_core.errors import ConfigError
from ddif_core.experts import ExpertSpec, load_trajectories, train_experts
from ddif_core.matcher import Matcher, MatcherContext, MatcherOptions, ParamGroup
from ddif_core.parameterization import Parameterization


class TMOptions(MatcherOptions):
    syn_steps: int = Field(20, ge=0, description="Student SGD steps on synthetic batches per iteration.")
    expert_epochs: int = Field(2, ge=1, description="Expert epochs the student must cover (M).")
    max_start_epoch: int = Field(10, ge=1, description="Start epochs are drawn from [0, max_start_epoch).")
    batch_syn: int | None = Field(None, ge=1, description="Synthetic instances per student step (default all).")
    lr_teacher: float = Field(0.01, gt=0, description="Expert SGD learning rate, and the step size's initial value.")
    lr_lr: float = Field(1e-5, gt=0, description="SGD learning rate (momentum 0.5) of the learnable step size.")
    min_step_size: float = Field(
        1e-3, ge=0, description="The step size is clamped to at least this after every update (the reference: 1e-3)."
    )
    num_experts: int = Field(5, ge=1, description="Expert trajectories to train (cached) and sample from.")
    recommended_experts: int = Field(
        100, ge=1, description="Experts the reference trains (MTT: 100); fewer logs a warning."
    )
    expert_batch: int = Field(256, ge=1, description="Batch size of expert training.")
    augment: bool = Field(True, description="The modality's augmentation in student steps and expert training.")
    expert_subset: int | None = Field(
        None, ge=1, description="Train experts on this many real instances per class (default all; for CPU runs)."
    )
    memory_limit_gb: float | None = Field(
        None, gt=0, description="Refuse to start when the unrolled graph needs more (default: available memory)."
    )


class TrajectoryMatching(Matcher):
    """Match a student's parameters after training on synthetic data to an expert's later parameters."""

    name = "tm"
    description = "Trajectory matching with expert trajectories and a learnable step size (Cazenavette et al. 2022)."
    Options = TMOptions
    # MTT: SGD with momentum 0.5 on the images at a per-dataset lr_img (the presets set it); 1,000 is its
    # CIFAR-100 and ImageNet-subset value.
    pixel_baseline = {"optimizer": "sgd", "lr": 1000.0, "momentum": 0.5}

    def __init__(self, options: TMOptions | None = None) -> None:
        super().__init__(options)
        o: TMOptions = self.options  # type: ignore[assignment]
        self.syn_lr = torch.nn.Parameter(torch.tensor(float(o.lr_teacher)))
        self.trajectories: list[torch.Tensor] = []
        self._template: torch.nn.Module | None = None

    def param_groups(self) -> list[ParamGroup]:
        """The learnable step size: SGD with momentum 0.5 at ``lr_lr``, clamped from below after each
        step, as the reference trajectory-matching code does."""
        o: TMOptions = self.options  # type: ignore[assignment]
        return [ParamGroup({"syn_lr": self.syn_lr}, lr=o.lr_lr, optimizer="sgd", momentum=0.5,
                           clamp_min=o.min_step_size)]

    def eval_defaults(self) -> dict[str, float]:
        """The learned step size becomes the evaluation learning rate (as in the TM literature)."""
        return {"lr": float(self.syn_lr.detach().clamp_min(1e-8))}

    def expert_spec(self, ctx: MatcherContext) -> ExpertSpec:
        o: TMOptions = self.options  # type: ignore[assignment]
        mod = ctx.modality
        return ExpertSpec(
            modality=mod.name, dataset=mod.dataset, modality_options=mod.options.model_dump(mode="json"),
            net=o.net or mod.default_network, sample_shape=tuple(ctx.sample_shape), num_train=len(ctx.real),
            epochs=o.max_start_epoch + o.expert_epochs, lr=o.lr_teacher, batch_size=o.expert_batch,
            augment=o.augment, seed=ctx.seed, net_options=dict(ctx.net_options),
        )

    def build_experts(self, ctx: MatcherContext, epochs: int | None = None) -> list[Path]:
        """Train (or find in the cache) ``num_experts`` trajectories; returns their files."""
        o: TMOptions = self.options  # type: ignore[assignment]
        if o.num_experts < o.recommended_experts:
            ctx.log(f"warning: tm: {o.num_experts} expert trajectories, fewer than the {o.recommended_experts} "
                    f"the reference trains (matcher.num_experts); expect lower accuracy than the paper's")
        spec = self.expert_spec(ctx)
        if epochs is not None:
            spec = dataclasses.replace(spec, epochs=epochs)
        real = ctx.real.subset(o.expert_subset, torch.Generator().manual_seed(spec.seed)) if o.expert_subset else ctx.real
        with ctx.progress_bar("experts", o.num_experts * spec.epochs) as bar:
            return train_experts(spec, o.num_experts, real, ctx.modality, lambda: ctx.build_network(o.net),
                                 ctx.cache_dir, ctx.device, progress=bar)

    def prepare(self, ctx: MatcherContext) -> None:
        o: TMOptions = self.options  # type: ignore[assignment]
        spec = self.expert_spec(ctx)
        files = self.build_experts(ctx)
        self.trajectories = [t.to(ctx.device) for t in load_trajectories(files, spec.epochs)]
        self._template = ctx.build_network(o.net)

    def check_resources(self, ctx: MatcherContext, synthetic: Parameterization) -> int:
        """Measure what one unrolled student step keeps for the backward pass and refuse to start when
        ``syn_steps`` of them would not fit; returns the estimate in bytes.

        Runs before the warm-up and the experts, on a freshly initialised student, so an impossible
        run fails in seconds.
        """
        o: TMOptions = self.options  # type: ignore[assignment]
        template = ctx.build_network(o.net)
        flat = torch.cat([p.detach().reshape(-1) for p in template.parameters()])
        fake = torch.stack([flat + 1e-3 * i for i in range(o.max_start_epoch + o.expert_epochs + 1)])
        saved = [0]

        def pack(t: torch.Tensor) -> torch.Tensor:
            saved[0] += t.numel() * t.element_size()
            return t

        opts = o.model_copy(update={"syn_steps": 1})
        probe = TrajectoryMatching(opts)
        probe.trajectories, probe._template = [fake], template
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            probe.step(ctx, synthetic, torch.Generator().manual_seed(0))
        per_step = saved[0]
        estimate = per_step * max(1, o.syn_steps)
        limit = int(o.memory_limit_gb * 2**30) if o.memory_limit_gb else available_memory(ctx.device)
        ctx.log(f"tm: the unrolled graph of {o.syn_steps} steps keeps about {estimate / 2**30:.2f} GiB "
                f"({per_step / 2**20:.1f} MiB per step); {limit / 2**30:.1f} GiB available")
        if limit and estimate > limit:
            raise ConfigError(
                f"trajectory matching would keep about {estimate / 2**30:.1f} GiB for {o.syn_steps} unrolled steps "
                f"but only {limit / 2**30:.1f} GiB is available; lower matcher.syn_steps or matcher.batch_syn"
            )
        return estimate

    def _unflatten(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        assert self._template is not None
        out, i = {}, 0
        for name, p in self._template.named_parameters():
            out[name] = flat[i : i + p.numel()].view_as(p)
            i += p.numel()
        return out

    def step(self, ctx: MatcherContext, synthetic: Parameterization, generator: torch.Generator) -> torch.Tensor:
        o: TMOptions = self.options  # type: ignore[assignment]
        traj = self.trajectories[int(torch.randint(len(self.trajectories), (1,), generator=generator))]
        start = int(torch.randint(o.max_start_epoch, (1,), generator=generator))
        theta0, target = traj[start], traj[start + o.expert_epochs]
        x_all = synthetic.decode()  # (K, m, ...) with the graph to the stored parameters
        y_all = synthetic.labels.to(x_all.device)
        k = x_all.shape[0]
        bs = min(o.batch_syn or k, k)
        lr = self.syn_lr.clamp_min(1e-8)
        theta = theta0.clone().requires_grad_(True)
        net = self._template
        assert net is not None
        for _ in range(o.syn_steps):
            idx = torch.randperm(k, generator=generator)[:bs].to(x_all.device)
            xb = x_all[idx]
            if o.augment:
                xb = ctx.modality.augment(xb, ctx.modality.sample_augmentation(bs, generator))
            ce = F.cross_entropy(functional_call(net, self._unflatten(theta), (xb,)), y_all[idx])
            (g,) = torch.autograd.grad(ce, theta, create_graph=True)
            theta = theta - lr * g
        return tm_loss(theta, theta0, target)


def available_memory(device: torch.device) -> int:
    """Bytes free for tensors on ``device`` (CUDA: free device memory; else MemAvailable; 0 if unknown)."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        for line in open("/proc/meminfo", encoding="ascii"):
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tm_loss(theta_end: torch.Tensor, theta_start: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """||theta_end - target||^2 / ||theta_start - target||^2 (flat parameter vectors)."""
    denom = (theta_start - target).square().sum()
    if not math.isfinite(float(denom)) or float(denom) == 0.0:
        raise ValueError("the expert did not move between the start and target epochs; train experts longer")
    return (theta_end - target).square().sum() / denom
