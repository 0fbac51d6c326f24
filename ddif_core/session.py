"""A run's session: the parts a config names, the device, the data, the console and the matcher context.

Everything here is resolved once, before anything is written, so a wrong name, a missing device or
unreadable data fails fast. ``ddif run``, ``ddif eval``, ``ddif experts`` and the benchmarks open
sessions the same way.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel
from tqdm import tqdm

from ddif_core.budget import BudgetReport
from ddif_core.config import RunConfig, validate_options
from ddif_core.cpu import tune_allocator
from ddif_core.data import ClassBank, Dataset, LabelledData
from ddif_core.errors import ConfigError, DataError
from ddif_core.matcher import Matcher, MatcherContext
from ddif_core.modality import Modality
from ddif_core.parameterization import ParamOptions, Parameterization, Plan
from ddif_core.plugins import Registry, get_registry


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA, then MPS, then CPU; an explicit device that is missing is an error."""
    mps = getattr(torch.backends, "mps", None)
    has_mps = mps is not None and mps.is_available()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if has_mps else torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda was asked for but torch sees no CUDA device; use --device cpu or auto")
    if name == "mps" and not has_mps:
        raise ConfigError("--device mps was asked for but this torch has no MPS device; use --device cpu or auto")
    return torch.device(name)


def prepare_process(device: torch.device) -> None:
    """Per-process settings for fast CPU training (glibc allocator thresholds, denormals flushed)."""
    if device.type == "cpu":
        tune_allocator()
        torch.set_flush_denormal(True)


class Console:
    """Progress bars and log lines on stderr (results go to stdout, from the CLI)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def log(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def bar(self, desc: str, total: int, initial: int = 0) -> tqdm:
        return tqdm(total=total, initial=initial, desc=desc, file=sys.stderr, disable=self.quiet,
                    dynamic_ncols=True, leave=True, mininterval=1.0)


@dataclass
class Parts:
    """The plugins a config names, with their validated options (``net_options``: network name -> options)."""

    modality: Modality
    matcher: Matcher
    param_cls: type[Parameterization]
    param_options: ParamOptions
    registry: Registry
    net_options: dict[str, BaseModel] = field(default_factory=dict)

    def network(self, name: str | None, shape: tuple[int, ...], device: torch.device) -> torch.nn.Module:
        net_name = name or self.modality.default_network
        net_def = self.registry.get("networks", net_name)
        options = self.net_options.get(net_name) or net_def.Options()
        return net_def.build(tuple(shape), self.modality.info.num_classes, options).to(device)


def resolve_parts(config: RunConfig, registry: Registry | None = None) -> Parts:
    """Look up and validate every part named by ``config`` (fails fast, before any data is read)."""
    reg = registry or get_registry()
    r = config.run
    modality_cls = reg.get("modalities", r.modality)
    matcher_cls = reg.get("matchers", r.loss)
    param_cls = reg.get("parameterizations", r.param)
    m_opts = validate_options(modality_cls.Options, config.modality, "modality")
    modality = modality_cls(m_opts, r.dataset, Path(r.data_root) if r.data_root else None)
    matcher = matcher_cls(validate_options(matcher_cls.Options, config.matcher, "matcher"))
    p_opts = validate_options(param_cls.Options, config.param, "param")
    reg.entry("networks", modality.default_network)  # a default from an uninstalled plugin fails here
    used = {config.eval.net or modality.default_network, matcher.options.net or modality.default_network}
    net_options = {net: network_options(reg, net, modality.name, config.net) for net in sorted(used)}
    return Parts(modality, matcher, param_cls, p_opts, reg, net_options)  # type: ignore[arg-type]


def network_options(reg: Registry, net: str, modality: str, values: dict[str, Any]) -> BaseModel:
    """Check that network ``net`` exists and suits ``modality``; validate ``[net]`` against its Options."""
    net_def = reg.get("networks", net)  # unknown names fail here, listing what exists
    if net_def.modalities and modality not in net_def.modalities:
        raise ConfigError(
            f"network '{net}' is for {', '.join(net_def.modalities)} data, not modality '{modality}'; choose "
            f"another with --set eval.net=NAME or matcher.net=NAME (see 'ddif plugins')"
        )
    return validate_options(net_def.Options, values, "net")


def plan_budget(parts: Parts, ipc: int) -> tuple[Plan, BudgetReport]:
    """The storage plan and :class:`~ddif_core.budget.BudgetReport` of this config (no data needed)."""
    info = parts.modality.info
    plan = parts.param_cls.make_plan(parts.param_options, info.sample_shape, ipc, info.field_table)
    return plan, plan.report(parts.param_cls.name, info.sample_shape, info.num_classes, ipc)


def load_split(modality: Modality, split: str, device: torch.device) -> Dataset:
    """``modality.load(split)``, checked without reading its instances; in-memory splits move to ``device``."""
    data = modality.load(split)
    if tuple(data.sample_shape) != tuple(modality.sample_shape):
        raise DataError(
            f"modality '{modality.name}' loaded {split} instances of shape {tuple(data.sample_shape)}, "
            f"expected {tuple(modality.sample_shape)}"
        )
    labels = data.labels
    if labels.dtype != torch.int64 or labels.dim() != 1 or (
            len(data) and (int(labels.min()) < 0 or int(labels.max()) >= modality.info.num_classes)):
        raise DataError(
            f"modality '{modality.name}' loaded {split} labels that are not int64 in 0..{modality.info.num_classes - 1}"
        )
    return data.to(device) if isinstance(data, LabelledData) else data


@dataclass
class Session:
    """What a command works with: config, parts, device, console and the splits it loaded."""

    config: RunConfig
    parts: Parts
    device: torch.device
    console: Console
    real: ClassBank | None = None
    test: Dataset | None = None

    @property
    def modality(self) -> Modality:
        return self.parts.modality

    def load(self, splits: tuple[str, ...]) -> None:
        """Load ``splits`` ("train" as a :class:`ClassBank`, "test" as a dataset) onto the device."""
        if "train" in splits:
            self.real = ClassBank(load_split(self.modality, "train", self.device))
        if "test" in splits:
            self.test = load_split(self.modality, "test", self.device)

    def build_network(self, name: str | None = None) -> torch.nn.Module:
        """A freshly initialised network (``None``: the modality's default) on the session's device."""
        return self.parts.network(name, self.modality.sample_shape, self.device)

    def matcher_context(self, cache_dir: Path) -> MatcherContext:
        """The typed context the matcher of this session receives."""
        assert self.real is not None, "the session has not loaded the training split"
        return MatcherContext(
            modality=self.modality, real=self.real, build_network=self.build_network, device=self.device,
            seed=self.config.run.seed, ipc=self.config.run.ipc, sample_shape=tuple(self.modality.sample_shape),
            num_classes=self.real.num_classes, cache_dir=Path(cache_dir), console=self.console,
            net_options=dict(self.config.net),
        )


def open_session(config: RunConfig, registry: Registry | None = None, quiet: bool = False,
                 splits: tuple[str, ...] = ("train", "test")) -> Session:
    """Resolve the parts and the device and load ``splits`` (data problems surface here)."""
    parts = resolve_parts(config, registry)
    device = resolve_device(config.run.device)
    prepare_process(device)
    session = Session(config, parts, device, Console(quiet))
    session.load(splits)
    return session
