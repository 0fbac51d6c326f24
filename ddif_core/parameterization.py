"""How a synthetic set is stored under the budget and decoded into instances.

``ddif`` stores every instance as a SIREN field (:class:`~ddif_core.fields.FieldBank`);
``vanilla`` stores input-sized instances (pixels, voxels, frames), the paper's baseline. Both give
the same interface to the engine and the matchers. Items are class-major: item ``c*per_class + j``
is the j-th item of class c.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
from pydantic import BaseModel, Field

from ddif_core.budget import BudgetReport, items_per_class, params_per_field, plan_field, values_per_instance
from ddif_core.config import StrictModel
from ddif_core.data import ClassBank
from ddif_core.errors import ConfigError
from ddif_core.fields import FieldBank
from ddif_core.shapes import resample

Progress = Callable[[str, int, int, float], None]

#: SIREN's frequency factor (Sitzmann et al. 2020) where a dataset's table gives none.
DEFAULT_W0 = 30.0


@dataclass(frozen=True)
class Plan:
    """What a parameterization will store: items per class and their size."""

    per_class: int
    params_per_item: int
    settings: dict[str, Any]

    def report(self, name: str, sample_shape: tuple[int, ...], num_classes: int, ipc: int) -> BudgetReport:
        return BudgetReport(
            parameterization=name,
            sample_shape=tuple(sample_shape),
            num_classes=num_classes,
            ipc=ipc,
            values_per_instance=values_per_instance(sample_shape),
            params_per_field=self.params_per_item,
            fields_per_class=self.per_class,
            total_fields=self.per_class * num_classes,
            total_budget=ipc * values_per_instance(sample_shape) * num_classes,
            budget_used=self.per_class * num_classes * self.params_per_item,
            layers=self.settings.get("layers"),
            width=self.settings.get("width"),
        )


class ParamOptions(StrictModel):
    """Base of every parameterization's options: what the engine reads from any of them."""

    lr: float | None = Field(None, gt=0, description="Learning rate of the stored parameters (default distill.lr).")


@dataclass(frozen=True)
class OptimizerSettings:
    """How the engine steps the stored parameters: ``adam`` or ``sgd`` (with momentum) at ``lr``."""

    optimizer: str = "adam"
    lr: float = 1e-4
    momentum: float = 0.0

    def build(self, groups: list[dict[str, Any]]) -> torch.optim.Optimizer:
        """The optimiser over ``groups`` (each may set its own ``lr``)."""
        if self.optimizer == "sgd":
            return torch.optim.SGD(groups, lr=self.lr, momentum=self.momentum)
        if self.optimizer == "adam":
            return torch.optim.Adam(groups, lr=self.lr)
        raise ConfigError(f"param.optimizer must be adam or sgd, got '{self.optimizer}'")

    def as_dict(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer, "lr": self.lr, "momentum": self.momentum}


class Parameterization(torch.nn.Module, ABC):
    """Base class; register subclasses with ``register_parameterizations``.

    The engine constructs it as ``cls(options, plan, sample_shape, num_classes, generator=g)``.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    Options: ClassVar[type[ParamOptions]] = ParamOptions

    def __init__(self, options: ParamOptions, plan: Plan, sample_shape: tuple[int, ...], num_classes: int,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.options = options
        self.plan = plan
        self.sample_shape = tuple(int(s) for s in sample_shape)
        self.num_classes = num_classes
        labels = torch.arange(num_classes).repeat_interleave(plan.per_class)
        self.register_buffer("labels", labels, persistent=False)  # (K,)

    @classmethod
    @abstractmethod
    def make_plan(
        cls, options: BaseModel, sample_shape: tuple[int, ...], ipc: int, table: dict[int, tuple[int, ...]]
    ) -> Plan:
        """Size the synthetic set for ``ipc`` x D values per class.

        :param table: the modality's Table-8 rows for the dataset, ``{ipc: (layers, width)}`` or
            ``{ipc: (layers, width, w0_first, w0)}`` (see :class:`~ddif_core.modality.DatasetInfo`).
        :raises ConfigError: when the budget cannot hold a single item.
        """

    #: ``resize(x, shape, mode)``: how input-sized items are resampled to another shape; the engine
    #: binds the modality's :meth:`~ddif_core.modality.Modality.resize` (:meth:`bind_modality`).
    resize: Callable[..., torch.Tensor] = staticmethod(resample)

    def bind_modality(self, modality: Any) -> None:
        """Resample through ``modality.resize`` (the modality owns resampling of its instances)."""
        self.resize = modality.resize

    @property
    def num_items(self) -> int:
        return self.plan.per_class * self.num_classes

    def class_index(self, classes: torch.Tensor | None = None, per_class: int | None = None,
                    generator: torch.Generator | None = None) -> torch.Tensor:
        """Indices of items, class-major; optionally a random subset of ``per_class`` items per class.

        :returns: (len(classes) * b,) LongTensor.
        """
        pc = self.plan.per_class
        classes = torch.arange(self.num_classes) if classes is None else classes.cpu()
        if per_class is None or per_class >= pc:
            cols = torch.arange(pc).expand(len(classes), pc)
        else:
            cols = torch.rand(len(classes), pc, generator=generator).argsort(dim=1)[:, :per_class]
        return (classes[:, None] * pc + cols).reshape(-1)

    @abstractmethod
    def initialize(self, real: ClassBank, generator: torch.Generator, progress: Progress | None = None) -> None:
        """Initialise from real data (vanilla: copy instances; ddif: warm-up fit, Eq. 2)."""

    @abstractmethod
    def decode(self, index: torch.Tensor | None = None, shape: tuple[int, ...] | None = None) -> torch.Tensor:
        """Decode items into instances.

        :param index: (k,) item indices (all when omitted).
        :param shape: (m, N_1', ..., N_n') target shape; default the training shape.
        :returns: (k, m, N_1, ..., N_n), differentiable w.r.t. the stored parameters.
        """

    def num_stored_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def memory_estimate(self) -> dict[str, tuple[int, str]]:
        """Bytes the run holds for this set beyond its parameters, by what holds them, each with the
        option that lowers it: ``{"warm-up": (bytes, option), "decoded set": (bytes, option)}``.

        The base counts the decoded set with its gradient (a matcher step decoding every item).
        """
        values = self.num_items * math.prod(self.sample_shape) * 4
        return {"decoded set": (2 * values, "--ipc")}

    def optimizer_settings(self, default_lr: float, baseline: Mapping[str, Any] | None = None) -> OptimizerSettings:
        """The optimiser of the stored parameters: Adam at ``param.lr`` (default ``default_lr``, the
        run's ``distill.lr``). ``baseline`` is the loss's original pixel optimiser
        (:attr:`ddif_core.matcher.Matcher.pixel_baseline`), which only input-sized
        parameterizations (vanilla) follow."""
        return OptimizerSettings("adam", float(self.options.lr or default_lr))

    @classmethod
    def from_state(cls, options: BaseModel, plan: Plan, sample_shape: tuple[int, ...], num_classes: int,
                   tensors: dict[str, torch.Tensor]) -> "Parameterization":
        """Rebuild from an artifact: construct, then load the stored tensors."""
        obj = cls(options, plan, sample_shape, num_classes)
        missing = set(dict(obj.named_parameters())) - set(tensors)
        if missing:
            raise ValueError(f"stored parameters are missing: {', '.join(sorted(missing))}")
        obj.load_state_dict({k: tensors[k] for k in dict(obj.named_parameters())}, strict=False)
        return obj


class DDiFOptions(ParamOptions):
    layers: int | None = Field(None, ge=1, description="Sine layers L (default: the paper's Table 8, else a planner).")
    width: int | None = Field(None, ge=1, description="Units d of every sine layer (default as for layers).")
    w0: float | None = Field(
        None, gt=0, description="Frequency factor of the hidden sine layers (default: the dataset's table, else 30)."
    )
    w0_first: float | None = Field(
        None, gt=0, description="Frequency factor of the first sine layer (default: the dataset's table, else 30)."
    )
    fields_per_class: int | None = Field(
        None, ge=1, description="Override the number of fields per class (must fit the budget)."
    )
    warmup_steps: int = Field(5000, ge=0, description="Adam steps fitting each field to a real instance (Eq. 2).")
    warmup_lr: float = Field(5e-4, gt=0, description="Learning rate of the warm-up.")


def field_settings(options: DDiFOptions, sample_shape: tuple[int, ...], ipc: int,
                   table: dict[int, tuple[int, ...]]) -> dict[str, Any]:
    """Layers, width and SIREN frequencies of the fields at ``ipc``: the options where set, else the
    dataset's field table row (Table 8), else :func:`~ddif_core.budget.plan_field` and w0 30.

    :returns: ``{"layers", "width", "w0_first", "w0"}``.
    """
    row = tuple(table.get(ipc) or plan_field(sample_shape, ipc))
    w0_first, w0 = (row[2], row[3]) if len(row) >= 4 else (DEFAULT_W0, DEFAULT_W0)
    return {"layers": int(options.layers or row[0]), "width": int(options.width or row[1]),
            "w0_first": float(options.w0_first or w0_first), "w0": float(options.w0 or w0)}


class DDiFParameterization(Parameterization):
    """DDiF: each synthetic instance is a SIREN field decoded on the coordinate grid."""

    name = "ddif"
    description = "Synthetic instances as SIREN neural fields (DDiF, ICLR 2025)."
    Options = DDiFOptions

    def __init__(self, options: BaseModel, plan: Plan, sample_shape: tuple[int, ...], num_classes: int,
                 generator: torch.Generator | None = None) -> None:
        super().__init__(options, plan, sample_shape, num_classes, generator)
        o: DDiFOptions = options  # type: ignore[assignment]
        self.bank = FieldBank(
            self.num_items,
            in_features=len(self.sample_shape) - 1,
            out_features=self.sample_shape[0],
            layers=plan.settings["layers"],
            width=plan.settings["width"],
            # the plan holds the frequencies the run was trained with (artifacts decode with them)
            w0=plan.settings.get("w0", o.w0 or DEFAULT_W0),
            w0_first=plan.settings.get("w0_first", o.w0_first or DEFAULT_W0),
            generator=generator,
        )

    @classmethod
    def make_plan(cls, options: BaseModel, sample_shape: tuple[int, ...], ipc: int,
                  table: dict[int, tuple[int, ...]]) -> Plan:
        o: DDiFOptions = options  # type: ignore[assignment]
        settings = field_settings(o, sample_shape, ipc, table)
        layers, width = settings["layers"], settings["width"]
        m, n = int(sample_shape[0]), len(sample_shape) - 1
        b = params_per_field(n, layers, width, m)
        fit = items_per_class(ipc, sample_shape, b)
        if fit < 1:
            raise ConfigError(
                f"the budget of {ipc} x {values_per_instance(sample_shape)} values per class cannot hold one "
                f"field of {b} parameters (layers={layers}, width={width}); lower param.width or param.layers, "
                f"or raise --ipc"
            )
        per_class = fit
        if o.fields_per_class is not None:
            if o.fields_per_class > fit:
                raise ConfigError(
                    f"param.fields_per_class={o.fields_per_class} exceeds the budget, which holds {fit} fields "
                    f"of {b} parameters per class"
                )
            per_class = o.fields_per_class
        return Plan(per_class=per_class, params_per_item=b, settings=settings)

    def initialize(self, real: ClassBank, generator: torch.Generator, progress: Progress | None = None) -> None:
        """Warm-up: fit every field to one random real instance of its class (batched, in chunks of fields)."""
        o: DDiFOptions = self.options  # type: ignore[assignment]
        # one distinct random real instance per field where the class has enough of them
        picked = real.pick_indices(self.plan.per_class, generator)  # (K,) positions, class-major
        if o.warmup_steps == 0:
            return
        m = self.sample_shape[0]

        def targets(k0: int, k1: int) -> torch.Tensor:  # (k, P, m): only a chunk of fields' targets at a time
            x = real.get(picked[k0:k1]).to(self.bank.weights[0].device)
            return x.reshape(k1 - k0, m, -1).transpose(1, 2)

        report = None
        if progress is not None:
            def report(done: int, total: int, mse: float) -> None:
                progress("warm-up", done, total, mse)
        self.bank.fit(self.sample_shape[1:], targets, o.warmup_steps, o.warmup_lr, progress=report)

    def memory_estimate(self) -> dict[str, tuple[int, str]]:
        """The warm-up keeps the activations of one chunk of fields (:meth:`FieldBank.fit`) with its
        targets; a decode of every field with gradients keeps its activations, or only its output
        above ``recompute_bytes`` (recomputation)."""
        bank, k = self.bank, self.num_items
        p = math.prod(self.sample_shape[1:])
        per_field = bank.activation_bytes(p)
        chunk = k if bank.recompute_bytes <= 0 else max(1, min(k, bank.recompute_bytes // per_field))
        values = k * math.prod(self.sample_shape) * 4
        decoded = per_field * k if per_field * k <= bank.recompute_bytes or bank.recompute_bytes <= 0 else 2 * values
        warm_up = chunk * (per_field + 3 * p * self.sample_shape[0] * 4)  # activations, targets, error, grad
        option = "param.fields_per_class" if chunk > 1 else "param.width"
        return {"warm-up": (warm_up, option), "decoded set": (decoded + values, "param.fields_per_class")}

    def decode(self, index: torch.Tensor | None = None, shape: tuple[int, ...] | None = None) -> torch.Tensor:
        shape = tuple(shape) if shape is not None else self.sample_shape
        out = self.bank.decode_grid(shape[1:], index)  # (k, m, P), separable first layer on the grid
        return out.reshape(out.shape[0], *shape)


class VanillaOptions(ParamOptions):
    optimizer: Literal["adam", "sgd"] | None = Field(
        None, description="Optimiser of the stored values (default: the loss's original pixel optimiser, e.g. DM's "
                          "SGD; Adam for a loss that declares none)."
    )
    lr: float | None = Field(
        None, gt=0, description="Learning rate of the stored values (default: the loss's original image lr when the "
                                "optimiser is its own, else distill.lr)."
    )
    momentum: float | None = Field(
        None, ge=0, lt=1, description="SGD momentum (default: the loss's original, else 0)."
    )
    upsample: Literal["nearest", "linear", "bilinear", "bicubic", "trilinear", "area"] | None = Field(
        None, description="Resampling when decoding at another resolution (default: the modality's choice)."
    )


class VanillaParameterization(Parameterization):
    """The baseline: input-sized instances (pixels, voxels, frames) initialised from real ones."""

    name = "vanilla"
    description = "Input-sized synthetic instances (pixels/voxels/frames), the usual baseline."
    Options = VanillaOptions

    def __init__(self, options: BaseModel, plan: Plan, sample_shape: tuple[int, ...], num_classes: int,
                 generator: torch.Generator | None = None) -> None:
        super().__init__(options, plan, sample_shape, num_classes, generator)
        self.values = torch.nn.Parameter(torch.randn(self.num_items, *self.sample_shape, generator=generator))

    @classmethod
    def make_plan(cls, options: BaseModel, sample_shape: tuple[int, ...], ipc: int,
                  table: dict[int, tuple[int, ...]]) -> Plan:
        return Plan(per_class=ipc, params_per_item=values_per_instance(sample_shape), settings={})

    def optimizer_settings(self, default_lr: float, baseline: Mapping[str, Any] | None = None) -> OptimizerSettings:
        """The loss's original pixel optimiser (``baseline``: DM SGD lr 1 momentum 0.5, DC SGD lr 0.1
        momentum 0.5, TM SGD momentum 0.5 at MTT's image lr), each key overridable by ``param.optimizer``,
        ``param.lr``, ``param.momentum``; Adam at ``distill.lr`` for a loss that declares none."""
        o: VanillaOptions = self.options  # type: ignore[assignment]
        base = dict(baseline or {})
        name = o.optimizer or base.get("optimizer", "adam")
        own = name == base.get("optimizer")  # the baseline's lr/momentum belong to its optimiser only
        lr = o.lr or (base.get("lr") if own else None) or default_lr
        momentum = o.momentum if o.momentum is not None else (base.get("momentum", 0.0) if own else 0.0)
        return OptimizerSettings(name, float(lr), float(momentum))

    def initialize(self, real: ClassBank, generator: torch.Generator, progress: Progress | None = None) -> None:
        with torch.no_grad():
            self.values.copy_(real.pick(self.plan.per_class, generator).to(self.values.device))

    def decode(self, index: torch.Tensor | None = None, shape: tuple[int, ...] | None = None) -> torch.Tensor:
        x = self.values if index is None else self.values.index_select(0, index.to(self.values.device))
        if shape is None or tuple(shape) == self.sample_shape:
            return x
        o: VanillaOptions = self.options  # type: ignore[assignment]
        return self.resize(x, tuple(shape), o.upsample)
