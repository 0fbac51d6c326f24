"""The run configuration: validated sections, presets, TOML files and ``--set key=value``.

Layers, lowest first: defaults < preset (``--preset`` or ``run.preset`` in the TOML) < TOML file
< command-line flags < ``--set``. Sections ``run``, ``distill`` and ``eval`` are validated here;
``modality``, ``matcher``, ``param`` and ``net`` are validated against the ``Options`` model of the
chosen modality, matcher, parameterization and of every network the run builds. This module imports no torch.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ddif_core.errors import ConfigError


MAX_INT = 2**63 - 1
"""Largest integer any setting may hold (torch and numpy store them as signed 64-bit)."""


class StrictModel(BaseModel):
    """Base for every options model: unknown keys are errors, values are validated on assignment,
    floats must be finite (no NaN or infinity, which JSON cannot hold) and integers fit 64 bits."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _fits_64_bits(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and not -MAX_INT <= value <= MAX_INT:
            raise ValueError(f"input should be at most {MAX_INT} (2^63 - 1) in magnitude")
        return value


class NoOptions(StrictModel):
    """A part that takes no options."""


class RunSection(StrictModel):
    modality: str = Field(description="Modality plugin to use, e.g. 'image'.")
    loss: str = Field("dm", description="Distillation loss (matcher): dm, or any registered matcher.")
    param: str = Field("ddif", description="Parameterization: 'ddif' (neural fields) or 'vanilla' (pixels).")
    dataset: str | None = Field(None, description="Dataset of the modality (default: the modality's).")
    ipc: int = Field(1, ge=1, le=1_000_000, description="Storage budget in real instances per class.")
    seed: int = Field(0, ge=0, lt=2**63 - 1, description="Seed of every random choice of the run (below 2^63 - 1).")
    device: Literal["auto", "cpu", "cuda", "mps"] = Field("auto", description="Where to compute.")
    data_root: str | None = Field(None, description="Folder holding the dataset files.")
    out: str | None = Field(None, description="Run directory (default runs/<timestamp>-<modality>-<loss>).")
    preset: str | None = Field(None, description="Named preset of the modality applied under these settings.")


class DistillSection(StrictModel):
    iterations: int = Field(1000, ge=0, le=10_000_000, description="Outer matching iterations after the warm-up.")
    lr: float = Field(1e-4, gt=0, description="Adam learning rate of the stored parameters (vanilla: see param.optimizer).")
    checkpoint_every: int = Field(50, ge=1, le=10_000_000, description="Write a checkpoint every this many iterations.")
    log_every: int = Field(10, ge=1, le=10_000_000, description="Report the loss every this many iterations.")


class EvalSection(StrictModel):
    runs: int = Field(5, ge=1, le=1000, description="Freshly initialised networks trained on the synthetic set.")
    epochs: int = Field(1000, ge=1, le=1_000_000, description="Training epochs of each evaluation network.")
    lr: float = Field(0.01, gt=0, description="SGD learning rate (times lr_gamma at each of lr_milestones).")
    lr_milestones: list[float] = Field(
        default_factory=lambda: [0.5],
        description="Fractions of the epochs after which the learning rate is multiplied by lr_gamma.",
    )
    lr_gamma: float = Field(0.1, gt=0, description="Learning-rate factor at each milestone.")
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum.")
    weight_decay: float = Field(5e-4, ge=0, description="SGD weight decay.")
    batch_size: int = Field(256, ge=1, le=1_000_000, description="Training batch size.")
    micro_batch: int = Field(32, ge=1, le=1_000_000, description="Gradient-accumulation chunk (same result, less memory).")
    augment: bool = Field(True, description="Differentiable augmentation of the modality during training.")
    net: str | None = Field(None, description="Evaluation network (default: the modality's).")
    test_batch: int = Field(500, ge=1, le=1_000_000, description="Batch size when scoring the test set.")
    upsample: Literal["nearest", "linear", "bilinear", "bicubic", "trilinear", "area"] | None = Field(
        None, description="Cross-resolution (ddif eval --resolution): how the modality resizes input-sized (vanilla) "
        "sets (default param.upsample, else the modality's choice); DDiF fields are decoded on the new grid instead."
    )

    @field_validator("lr_milestones")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        if any(not 0 < f <= 1 for f in value):
            raise ValueError(f"milestones are fractions of the epochs in (0, 1], got {value}")
        return sorted(value)

    def milestone_epochs(self) -> list[int]:
        """The epochs (0-based scheduler steps) at which the learning rate drops."""
        return [int(f * self.epochs) for f in self.lr_milestones]


SECTIONS: dict[str, type[StrictModel]] = {"run": RunSection, "distill": DistillSection, "eval": EvalSection}
PLUGIN_SECTIONS = ("modality", "matcher", "param", "net")


class RunConfig(StrictModel):
    """The fully resolved configuration of one ``ddif run``.

    ``modality``, ``matcher``, ``param`` and ``net`` hold the options of the chosen parts as plain
    dicts; :func:`ddif_core.engine.run` validates them against each part's ``Options`` model (``net``
    against every network the run builds).
    """

    run: RunSection
    distill: DistillSection = Field(default_factory=DistillSection)
    eval: EvalSection = Field(default_factory=EvalSection)
    modality: dict[str, Any] = Field(default_factory=dict)
    matcher: dict[str, Any] = Field(default_factory=dict)
    param: dict[str, Any] = Field(default_factory=dict)
    net: dict[str, Any] = Field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def describe_validation_error(
    err: ValidationError, prefix: str = "", model: type[BaseModel] | None = None, source: str = ""
) -> str:
    """Turn a pydantic error into one sentence naming the setting and what was expected.

    :param prefix: section name when ``err`` comes from validating one section's model.
    :param model: that section's model (lists the valid keys of an unknown one).
    :param source: where the value came from, e.g. a file name.
    """
    first = err.errors()[0]
    loc = [str(p) for p in first.get("loc", ())]
    parts = [prefix, *loc] if prefix else loc
    key = ".".join(parts)
    where = f" (in {source})" if source else ""
    if first.get("type") == "extra_forbidden":
        section = parts[0] if len(parts) > 1 else ""
        fields = model.model_fields if model is not None else getattr(SECTIONS.get(section), "model_fields", {})
        hint = f"; valid settings in [{section}] are: {', '.join(fields)}" if fields else ""
        if model is not None and not fields:
            hint = f"; [{section}] takes no settings here"
        return f"unknown setting '{key}'{where}{hint}"
    if first.get("type") == "missing":
        return f"missing setting '{key}'{where}"
    msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"invalid value {first.get('input')!r} for '{key}'{where}: {msg[0].lower() + msg[1:]}"


def validate_options(model: type[BaseModel], values: dict[str, Any], section: str, source: str = "") -> BaseModel:
    """Validate a plugin's option section; errors name ``section.key``."""
    try:
        return model.model_validate(values)
    except ValidationError as err:
        raise ConfigError(describe_validation_error(err, section, model, source)) from None


def parse_set(item: str) -> tuple[list[str], Any]:
    """Parse ``section.key=value``; the value is read as TOML (numbers, booleans, lists), else a string."""
    if "=" not in item:
        raise ConfigError(f"--set expects section.key=value, got {item!r}")
    key, raw = item.split("=", 1)
    parts = [p.strip() for p in key.strip().split(".")]
    if len(parts) < 2 or not all(parts):
        raise ConfigError(
            f"--set key {key!r} needs a section and a name, e.g. eval.epochs=300 "
            f"(sections: {', '.join([*SECTIONS, *PLUGIN_SECTIONS])})"
        )
    if parts[0] not in SECTIONS and parts[0] not in PLUGIN_SECTIONS:
        raise ConfigError(
            f"unknown section '{parts[0]}' in --set {item!r}; sections are: {', '.join([*SECTIONS, *PLUGIN_SECTIONS])}"
        )
    return parts, parse_value(raw)


def parse_value(raw: str) -> Any:
    """A ``--set`` value read as TOML (numbers, booleans, lists, quoted strings), else the plain string."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def read_toml(path: Path) -> dict[str, Any]:
    """Read a run TOML file (sections as in :class:`RunConfig`)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    for section in data:
        if not isinstance(data[section], dict):
            owner = [name for name, model in SECTIONS.items() if section in model.model_fields]
            if owner:
                raise ConfigError(
                    f"'{section}' in {path} is outside any section; it belongs under [{owner[0]}] "
                    f"(write [{owner[0]}] on the line above it)"
                )
        if section not in SECTIONS and section not in PLUGIN_SECTIONS:
            raise ConfigError(
                f"unknown section [{section}] in {path}; sections are: {', '.join([*SECTIONS, *PLUGIN_SECTIONS])}"
            )
        if not isinstance(data[section], dict):
            raise ConfigError(f"'{section}' in {path} must be a table like [{section}]")
    return data


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``over`` into a copy of ``base`` (two levels: section -> key)."""
    out = copy.deepcopy(base)
    for section, values in over.items():
        out.setdefault(section, {})
        for k, v in values.items():
            if isinstance(v, dict) and isinstance(out[section].get(k), dict):
                out[section][k] = {**out[section][k], **v}
            else:
                out[section][k] = v
    return out


def _select_parts(preset: dict[str, Any], chosen: dict[str, str]) -> dict[str, Any]:
    """Presets give ``param`` and ``matcher`` settings per part name (``{"param": {"ddif": {...}}}``),
    so one preset serves ``--param vanilla`` or another ``--loss``: keep the chosen part's settings."""
    out = copy.deepcopy(preset)
    for section, name in chosen.items():
        values = out.get(section, {})
        if values and all(isinstance(v, dict) for v in values.values()):
            out[section] = values.get(name, {})
    return out


def set_path(data: dict[str, Any], parts: list[str], value: Any) -> None:
    node = data
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ConfigError(f"--set {'.'.join(parts)}: '{p}' is not a section")
    node[parts[-1]] = value


def build_config(
    flags: dict[str, Any],
    toml_path: Path | None = None,
    sets: list[str] | tuple[str, ...] = (),
    presets: Any = None,
) -> RunConfig:
    """Resolve a :class:`RunConfig` from its layers.

    :param flags: ``run``-section values given on the command line (None values are ignored).
    :param toml_path: optional TOML file.
    :param sets: ``section.key=value`` items, applied last.
    :param presets: ``presets(modality_name) -> dict[str, dict]`` lookup (from the registry).
    """
    file_data = read_toml(toml_path) if toml_path else {}
    layered: dict[str, Any] = {}
    layered = merge(layered, file_data)
    layered = merge(layered, {"run": {k: v for k, v in flags.items() if v is not None}})
    for item in sets:
        parts, value = parse_set(item)
        set_path(layered, parts, value)
    run_values = layered.get("run", {})
    preset_name = run_values.get("preset")
    if preset_name:
        modality = run_values.get("modality")
        if not modality:
            raise ConfigError("--preset needs --modality (or run.modality in the config file)")
        table = presets(modality) if presets else {}
        if preset_name not in table:
            raise ConfigError(
                f"unknown preset '{preset_name}' for modality '{modality}' (available: {', '.join(sorted(table)) or 'none'})"
            )
        preset_run = table[preset_name].get("run", {})
        chosen = {"param": run_values.get("param", preset_run.get("param", "ddif")),
                  "matcher": run_values.get("loss", preset_run.get("loss", "dm"))}
        layered = merge(_select_parts(table[preset_name], chosen), layered)
    if "modality" not in layered.get("run", {}):
        raise ConfigError("no modality given: pass --modality (e.g. --modality image) or set run.modality")
    try:
        return RunConfig.model_validate(layered)
    except ValidationError as err:
        raise ConfigError(describe_validation_error(err)) from None
