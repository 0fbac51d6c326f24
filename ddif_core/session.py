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
from ddif_core.errors import ConfigError, DataError, PluginError
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

    checked: set[str] = field(default_factory=set)

    def source(self, kind: str = "modalities", name: str | None = None) -> str:
        """The distribution and version that provide ``name`` (default: this run's modality)."""
        try:
            entry = self.registry.entry(kind, name or self.modality.name)
        except PluginError:  # a part handed to the engine directly (tests, embedding)
            return "a part not registered by any distribution"
        return entry.distribution if entry.version == "unknown" else f"{entry.distribution} {entry.version}"

    def network(self, name: str | None, shape: tuple[int, ...], device: torch.device) -> torch.nn.Module:
        """A fresh network ``name`` (None: the modality's default) for instances of ``shape`` on ``device``.

        The first network of each name is probed on a copy (two zero instances, no gradients, the random
        state restored): its forward must give (2, classes) and its embed (2, F); otherwise a
        :class:`~ddif_core.errors.PluginError` names the network and its distribution.
        """
        net_name = name or self.modality.default_network
        net_def = self.registry.get("networks", net_name)
        options = self.net_options.get(net_name) or net_def.Options()
        net = net_def.build(tuple(shape), self.modality.info.num_classes, options).to(device)
        key = f"{net_name}@{tuple(shape)}"
        if key not in self.checked:
            self._probe(net, net_name, tuple(shape), device)
            self.checked.add(key)
        return net

    def _probe(self, net: torch.nn.Module, name: str, shape: tuple[int, ...], device: torch.device) -> None:
        import copy

        who = f"network '{name}' (from {self.source('networks', name)})"
        if not isinstance(net, torch.nn.Module):
            raise PluginError(f"{who}: build() returned {type(net).__name__}, not a torch.nn.Module")
        classes = self.modality.info.num_classes
        probe = copy.deepcopy(net)
        x = torch.zeros(2, *shape, device=device)
        try:
            with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), torch.no_grad():
                out = probe(x)
                feats = probe.embed(x) if hasattr(probe, "embed") else None
        except Exception as exc:  # noqa: BLE001 - a plugin's network failing on a plain batch is its bug
            raise PluginError(f"{who}: forward of a batch of shape {tuple(x.shape)} raised {type(exc).__name__}: "
                              f"{exc}") from exc
        if not torch.is_tensor(out) or tuple(out.shape) != (2, classes):
            got = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
            raise PluginError(f"{who}: forward of a batch of shape {tuple(x.shape)} gave {got}; expected "
                              f"(2, {classes}) logits, one per class of modality '{self.modality.name}'")
        if feats is not None and (not torch.is_tensor(feats) or feats.dim() != 2 or feats.shape[0] != 2):
            got = tuple(feats.shape) if torch.is_tensor(feats) else type(feats).__name__
            raise PluginError(f"{who}: embed of a batch of shape {tuple(x.shape)} gave {got}; expected (2, F) features")


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


def load_split(modality: Modality, split: str, device: torch.device, source: str | None = None) -> Dataset:
    """``modality.load(split)``, checked at the boundary; in-memory splits move to ``device``.

    What the plugin returned is checked before the engine uses it: the instance shape, int64 labels in
    range, float32 values without NaN or inf (the whole split when it is held in memory, the first
    batch of a streamed :class:`~ddif_core.data.Dataset`). A failure is a :class:`DataError` naming the
    modality and ``source``, the distribution that provides it (e.g. ``"ddif-audio 0.4.0"``).
    """
    who = f"modality '{modality.name}'" + (f" (from {source})" if source else "")
    data = modality.load(split)
    if not isinstance(data, Dataset):
        raise DataError(f"{who}: load('{split}') returned {type(data).__name__}; it must return a ddif_core.Dataset "
                        f"(LabelledData in memory, ArrayDataset for data larger than memory)")
    if tuple(data.sample_shape) != tuple(modality.sample_shape):
        raise DataError(f"{who} loaded {split} instances of shape {tuple(data.sample_shape)}, "
                        f"expected {tuple(modality.sample_shape)}")
    labels = data.labels
    if labels.dtype != torch.int64 or labels.dim() != 1 or (
            len(data) and (int(labels.min()) < 0 or int(labels.max()) >= modality.info.num_classes)):
        raise DataError(f"{who} loaded {split} labels that are not int64 in 0..{modality.info.num_classes - 1}")
    values = data.x if isinstance(data, LabelledData) else data.get(torch.arange(min(len(data), 64)))
    if values.dtype != torch.float32:
        raise DataError(f"{who} loaded {split} instances of dtype {str(values.dtype).removeprefix('torch.')}; "
                        f"expected float32 (normalised values)")
    if tuple(values.shape[1:]) != tuple(modality.sample_shape):
        raise DataError(f"{who}: the {split} dataset says its instances are {tuple(modality.sample_shape)} but get() "
                        f"gave a batch of shape {tuple(values.shape)}")
    bad = _non_finite_rows(values)
    if bad:
        scope = "" if isinstance(data, LabelledData) else f" among the first {values.shape[0]}"
        raise DataError(f"{who} loaded {bad} {split} instance(s){scope} with NaN or inf values; check the files "
                        f"(or the normalisation) of dataset '{modality.dataset}'")
    return data.to(device) if isinstance(data, LabelledData) else data


def _non_finite_rows(x: torch.Tensor, chunk_values: int = 1 << 24) -> int:
    """How many instances of x (N, ...) hold a NaN or inf, checked in chunks (no split-sized temporary)."""
    rows = max(1, chunk_values // max(1, x[0].numel())) if x.shape[0] else 1
    return sum(int((~torch.isfinite(c.flatten(1))).any(1).sum()) for c in x.split(rows))


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
            self.real = ClassBank(load_split(self.modality, "train", self.device, self.parts.source()))
        if "test" in splits:
            self.test = load_split(self.modality, "test", self.device, self.parts.source())

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
