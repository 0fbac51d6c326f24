"""``ddif run``: data -> parameterization (warm-up) -> matcher loop -> evaluation -> artifact.

The engine is modality- and loss-agnostic: it asks the registry for the parts named in the config
and talks to them only through their base classes.
"""

from __future__ import annotations

import math
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel
from tqdm import tqdm

from ddif_core import artifact, limits, rundir
from ddif_core.config import RunConfig, validate_options
from ddif_core.cpu import tune_allocator
from ddif_core.data import ClassBank, Dataset, LabelledData
from ddif_core.errors import ConfigError, DataError, TrainingError
from ddif_core.evaluate import EvalResult, evaluate
from ddif_core.matcher import DistillContext, Matcher
from ddif_core.modality import Modality
from ddif_core.parameterization import Parameterization
from ddif_core.plugins import Registry, get_registry


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA, then MPS, then CPU; an explicit device that is missing is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda was asked for but torch sees no CUDA device; use --device cpu or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError("--device mps was asked for but this torch has no MPS device; use --device cpu or auto")
    return torch.device(name)


def prepare_process(device: torch.device) -> None:
    """Per-process settings for fast CPU training (glibc allocator thresholds, denormals flushed)."""
    if device.type == "cpu":
        tune_allocator()
        torch.set_flush_denormal(True)


def iteration_seed(seed: int, iteration: int) -> int:
    """The seed of one matcher iteration: a pure function of (run seed, iteration) so resumes agree."""
    return (seed * 1_000_003 + iteration * 7_919 + 17) % (2**63 - 1)


@dataclass
class Parts:
    """The plugins a config names, with their validated options (``net_options``: network name -> options)."""

    modality: Modality
    matcher: Matcher
    param_cls: type[Parameterization]
    param_options: BaseModel
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
    used = {config.eval.net or modality.default_network, getattr(matcher.options, "net", None) or modality.default_network}
    net_options = {net: network_options(reg, net, modality.name, config.net) for net in sorted(used)}
    return Parts(modality, matcher, param_cls, p_opts, reg, net_options)


def network_options(reg: Registry, net: str, modality: str, values: dict[str, Any]) -> BaseModel:
    """Check that network ``net`` exists and suits ``modality``; validate ``[net]`` against its Options."""
    net_def = reg.get("networks", net)  # unknown names fail here, listing what exists
    if net_def.modalities and modality not in net_def.modalities:
        raise ConfigError(
            f"network '{net}' is for {', '.join(net_def.modalities)} data, not modality '{modality}'; choose "
            f"another with --set eval.net=NAME or matcher.net=NAME (see 'ddif plugins')"
        )
    return validate_options(net_def.Options, values, "net")


def plan_budget(parts: Parts, ipc: int) -> Any:
    """The :class:`~ddif_core.budget.BudgetReport` of this config (no data needed)."""
    info = parts.modality.info
    plan = parts.param_cls.make_plan(parts.param_options, info.sample_shape, ipc, info.field_table)
    return plan, plan.report(parts.param_cls.name, info.sample_shape, info.num_classes, ipc)


def default_out(config: RunConfig) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{stamp}-{config.run.modality}-{config.run.loss}"


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
class RunResult:
    run_dir: Path
    metrics: dict[str, Any]


def _run_info(config: RunConfig, registry: Registry) -> dict[str, Any]:
    return {
        "config": config.to_dict(),
        "eval_set": sorted(config.eval.model_fields_set),  # keys the user set (learned defaults fill the rest)
        "versions": registry.versions(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "created": datetime.now().isoformat(timespec="seconds"),
    }


def prepare_run_dir(config: RunConfig, resume: bool, registry: Registry) -> Path:
    """Claim (lock) the run directory; a new run writes config.json, a resume checks the saved settings.

    ``run.out`` is the run directory: with resume, the ``out`` saved in its config.json is ignored.
    """
    out = Path(config.run.out) if config.run.out else default_out(config)
    if resume:
        artifact.require_run_dir(out)
        saved = RunConfig.model_validate(artifact.read_json(out / artifact.CONFIG_FILE, "run config")["config"])
        diff = _first_difference(saved.to_dict(), config.to_dict(), ignore={("run", "device"), ("run", "out")})
        if diff:
            raise ConfigError(
                f"--resume continues {out} with its saved settings, but '{diff[0]}' differs "
                f"(saved {diff[1]!r}, given {diff[2]!r}); drop the option or start a new --out"
            )
        return rundir.claim(out, resume=True)
    rundir.claim(out, resume=False)
    info = _run_info(config.model_copy(update={"run": config.run.model_copy(update={"out": str(out)})}), registry)
    artifact.write_json(out / artifact.CONFIG_FILE, info)
    return out


def _first_difference(a: dict[str, Any], b: dict[str, Any], ignore: set[tuple[str, str]]) -> tuple[str, Any, Any] | None:
    for section in sorted(set(a) | set(b)):
        sa, sb = a.get(section, {}), b.get(section, {})
        for key in sorted(set(sa) | set(sb)):
            if (section, key) in ignore:
                continue
            if sa.get(key) != sb.get(key):
                return f"{section}.{key}", sa.get(key), sb.get(key)
    return None


def run(config: RunConfig, resume: bool = False, quiet: bool = False, registry: Registry | None = None) -> RunResult:
    """Distil, evaluate and save one run; returns the run directory and its metrics.

    The run directory is locked while the run lasts; a new one that fails before its first
    checkpoint is removed (see :mod:`ddif_core.rundir`).
    """
    with rundir.session():
        return _run(config, resume, quiet, registry)


def _run(config: RunConfig, resume: bool, quiet: bool, registry: Registry | None) -> RunResult:
    console = Console(quiet)
    parts = resolve_parts(config, registry)
    plan, budget = plan_budget(parts, config.run.ipc)
    device = resolve_device(config.run.device)
    limits.check_memory(limits.run_bytes(budget.budget_used, budget.total_fields, budget.sample_shape),
                        f"the synthetic set of --ipc {config.run.ipc} ({budget.total_fields} items)",
                        "lower --ipc (or param.fields_per_class)", device)
    prepare_process(device)
    modality = parts.modality
    timings: dict[str, float] = {}
    t = time.perf_counter()
    train = load_split(modality, "train", device)  # data problems surface before anything is written
    test = load_split(modality, "test", device)
    real = ClassBank(train)
    timings["load_s"] = time.perf_counter() - t
    if not config.run.out:
        config = config.model_copy(update={"run": config.run.model_copy(update={"out": str(default_out(config))})})
    run_dir = Path(config.run.out)  # type: ignore[arg-type]
    seed = config.run.seed
    torch.manual_seed(seed)
    synthetic = parts.param_cls(parts.param_options, plan, modality.sample_shape, real.num_classes,
                                generator=torch.Generator().manual_seed(seed)).to(device)
    synthetic.bind_modality(modality)
    matcher = parts.matcher
    ctx = DistillContext(
        modality=modality,
        real=real,
        build_network=lambda name=None: parts.network(name, modality.sample_shape, device),
        device=device,
        seed=seed,
        cache_dir=run_dir.parent / ".cache",
        settings=config.to_dict(),
        console=console,
    )
    matcher.check_resources(ctx, synthetic)  # an impossible run fails now, before anything is written
    run_dir = prepare_run_dir(config, resume, parts.registry)
    console.log(
        f"ddif: {modality.name}/{modality.dataset} ipc={config.run.ipc} param={config.run.param} "
        f"loss={config.run.loss} -> {budget.fields_per_class} x {budget.params_per_field}-parameter items per class "
        f"(budget {budget.budget_used}/{budget.total_budget}); device {device}; run dir {run_dir}"
    )
    lr = getattr(parts.param_options, "lr", None) or config.distill.lr  # a parameterization may set its own
    groups: list[dict[str, Any]] = [{"params": list(synthetic.parameters()), "lr": lr}]
    for name, p in matcher.state().items():  # e.g. TM's learnable step size, with its own lr
        if p.requires_grad:
            groups.append({"params": [p], "lr": matcher.state_lr(name) or lr})
    optimizer = torch.optim.Adam(groups)
    start, losses = 0, []
    ckpt = artifact.load_checkpoint(run_dir) if resume else None
    matcher.prepare(ctx)
    if ckpt is not None:
        tensors, meta = ckpt
        _restore(synthetic, matcher, optimizer, tensors, meta)
        matcher.restore_state(ctx, {k.removeprefix("extra.matcher."): v for k, v in tensors.items()
                                    if k.startswith("extra.matcher.")})
        start, losses = int(meta["iteration"]), list(meta.get("losses", []))
        timings.update(meta.get("timings", {}))
        console.log(f"ddif: resuming {run_dir} at iteration {start}")
    else:
        t = time.perf_counter()
        with console.bar("warm-up", 1) as bar:
            def progress(stage: str, step: int, total: int, value: float) -> None:
                bar.total = total
                bar.n = step
                bar.set_postfix_str(f"mse {value:.4g}", refresh=False)
                bar.refresh()
            synthetic.initialize(real, torch.Generator().manual_seed(seed + 1), progress)
        timings["init_s"] = time.perf_counter() - t
        _checkpoint(run_dir, 0, synthetic, matcher, optimizer, losses, timings)

    iterations = config.distill.iterations
    t = time.perf_counter() - timings.get("distill_s", 0.0)
    with console.bar("distill", iterations, initial=start) as bar:
        for it in range(start, iterations):
            s = iteration_seed(seed, it)
            torch.manual_seed(s)
            loss = matcher.step(ctx, synthetic, torch.Generator().manual_seed(s))
            value = float(loss.detach())
            if not math.isfinite(value):
                last = artifact.load_checkpoint(run_dir)
                at = last[1]["iteration"] if last else 0
                raise TrainingError(
                    f"the {config.run.loss} loss became {value} at iteration {it}; the last good checkpoint "
                    f"({run_dir / artifact.CHECKPOINT_FILE}, iteration {at}) is kept; start a new --out with a lower distill.lr "
                    f"(--resume keeps the saved settings and would diverge the same way)"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(value)
            bar.update(1)
            bar.set_postfix_str(f"loss {value:.4g}", refresh=False)
            done = it + 1
            if done % config.distill.checkpoint_every == 0 or done == iterations:
                timings["distill_s"] = time.perf_counter() - t
                _checkpoint(run_dir, done, synthetic, matcher, optimizer, losses, timings)
    timings["distill_s"] = time.perf_counter() - t

    eval_defaults = matcher.eval_defaults()
    meta = artifact.synthetic_meta(
        synthetic, modality=modality.name, dataset=modality.dataset, class_names=modality.class_names,
        loss=config.run.loss, seed=seed, eval_defaults=eval_defaults,
    )
    stored = {**matcher.state(), **{f"modality.{k}": v for k, v in modality.state().items()}}
    artifact.save_synthetic(run_dir / artifact.SYNTHETIC_FILE, synthetic, stored, meta)
    with torch.no_grad():
        x_syn = synthetic.decode()
    y_syn = synthetic.labels
    _write_preview(modality, x_syn, y_syn, run_dir, console)

    config = with_eval_defaults(config, eval_defaults)
    result = evaluate_synthetic(parts, config, x_syn, y_syn, test, device, console, modality.sample_shape)
    timings["eval_s"] = result.seconds
    metrics = {
        **result.as_dict(),
        "num_decoded": int(x_syn.shape[0]),
        "budget_used": budget.budget_used,
        "budget_allowed": budget.total_budget,
        "params_per_item": budget.params_per_field,
        "items_per_class": budget.fields_per_class,
        "iterations": iterations,
        "eval_lr": config.eval.lr,
        "final_loss": losses[-1] if losses else None,
        "loss_history": losses[:: max(1, len(losses) // 200)],
        "timings": timings,
        "device": str(device),
    }
    artifact.write_json(run_dir / artifact.METRICS_FILE, metrics)
    return RunResult(run_dir, metrics)


def with_eval_defaults(config: RunConfig, defaults: dict[str, Any], explicit: set[str] | None = None) -> RunConfig:
    """Apply learned evaluation defaults to the ``eval`` keys the user did not set (``explicit``,
    default: the keys set on ``config.eval``)."""
    explicit = config.eval.model_fields_set if explicit is None else explicit
    unset = {k: v for k, v in defaults.items() if k not in explicit}
    if not unset:
        return config
    return config.model_copy(update={"eval": config.eval.model_copy(update=unset)})


def evaluate_synthetic(parts: Parts, config: RunConfig, x: torch.Tensor, y: torch.Tensor, test: Dataset,
                       device: torch.device, console: Console, shape: tuple[int, ...]) -> EvalResult:
    """Train ``eval.runs`` fresh networks on x (K, m, ...) / y (K,) and score them on ``test``."""
    opts = config.eval
    net_name = opts.net or parts.modality.default_network
    with console.bar(f"eval ({opts.runs} x {net_name})", opts.runs * opts.epochs) as bar:
        def progress(done: int, total: int) -> None:
            bar.n = done
            bar.refresh() if done % 10 == 0 or done == total else None
        return evaluate(x, y, test, lambda: parts.network(net_name, shape, device), opts, parts.modality,
                        config.run.seed, device, net_name, progress)


def _write_preview(modality: Modality, x: torch.Tensor, y: torch.Tensor, run_dir: Path, console: Console) -> None:
    """``preview.png`` (every class) and, where the modality draws them, ``previews/<class>.png``."""
    try:
        with artifact.atomic_path(run_dir / "preview.png") as tmp:
            modality.preview(x.cpu(), y.cpu(), tmp)
    except NotImplementedError:
        console.log(f"ddif: modality '{modality.name}' draws no preview")
        return
    try:
        with artifact.atomic_dir(run_dir / "previews") as tmp_dir:
            modality.preview_classes(x.cpu(), y.cpu(), tmp_dir)
    except NotImplementedError:
        pass


def _checkpoint(run_dir: Path, iteration: int, synthetic: Parameterization, matcher: Matcher,
                optimizer: torch.optim.Optimizer, losses: list[float], timings: dict[str, float]) -> None:
    extra = dict(matcher.state())
    extra.update({f"matcher.{k}": v for k, v in matcher.checkpoint_state().items()})
    artifact.save_checkpoint(run_dir, iteration, synthetic, optimizer, extra, {"losses": losses, "timings": timings})


def _restore(synthetic: Parameterization, matcher: Matcher, optimizer: torch.optim.Optimizer,
             tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    with torch.no_grad():
        for name, p in synthetic.named_parameters():
            p.copy_(tensors[f"param.{name}"])
        for name, p in matcher.state().items():
            p.copy_(tensors[f"extra.{name}"])
    artifact.restore_optimizer(optimizer, tensors, meta)


def make_experts(config: RunConfig, cache_dir: Path, epochs: int | None = None, quiet: bool = False,
                 registry: Registry | None = None) -> list[Path]:
    """Train (or find cached) expert trajectories for the matcher of ``config`` (``ddif experts``)."""
    parts = resolve_parts(config, registry)
    build = getattr(parts.matcher, "build_experts", None)
    if build is None:
        raise ConfigError(f"--loss {config.run.loss} uses no expert trajectories (trajectory matching, --loss tm, does)")
    device = resolve_device(config.run.device)
    prepare_process(device)
    modality = parts.modality
    real = ClassBank(load_split(modality, "train", device))
    ctx = DistillContext(
        modality=modality, real=real,
        build_network=lambda name=None: parts.network(name, modality.sample_shape, device),
        device=device, seed=config.run.seed, cache_dir=Path(cache_dir), settings=config.to_dict(),
        console=Console(quiet),
    )
    return list(build(ctx, epochs))
