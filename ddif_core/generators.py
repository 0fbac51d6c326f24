"""Data generators: a plugin's recipe for writing a small dataset in its modality's real on-disk layout.

``ddif data make NAME --out DIR`` runs one (the core makes the folder, writes into a temporary
sibling and renames it when ``make`` returns), and ``ddif_core.generate_into_cache`` runs one into
the disk cache. Generators are registered with the ``register_generators`` hook. This module
imports no torch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field
from pydantic_core import PydanticUndefined

from ddif_core.config import StrictModel


class GeneratorOptions(StrictModel):
    """Options every generator takes; subclass it to add fields (each with a ``Field(description=...)``)."""

    seed: int = Field(0, ge=0, description="Seed; the output is byte-identical for a seed.")


class DataGenerator(ABC):
    """Base class of data generators (register subclasses with ``register_generators``).

    :cvar name: what ``ddif data make`` takes (lowercase, e.g. ``toy-tones``).
    :cvar modality: the modality whose on-disk layout the output has (e.g. ``audio``).
    :cvar description: one line for ``ddif data list``.
    :cvar Options: the options model; ``ddif data make --set key=value`` sets its fields.
    :cvar version: raise it whenever the files written for the same options change: the shared cache
        (``<cache>/data/<name>-<hash>``) keys on it, so an upgraded plugin does not reuse the old output.
    """

    name: ClassVar[str]
    modality: ClassVar[str]
    description: ClassVar[str] = ""
    Options: ClassVar[type[GeneratorOptions]] = GeneratorOptions
    version: ClassVar[int] = 1

    @abstractmethod
    def make(self, out_dir: Path, options: GeneratorOptions,
             progress: Callable[[int, int], None] | None = None) -> None:
        """Write a dataset in the modality's real on-disk layout into out_dir (an empty folder the core made).

        :param options: a validated instance of :attr:`Options`.
        :param progress: optional ``progress(done, total)`` callback.
        """


def generator_options(generator_cls: type[DataGenerator], values: dict[str, Any]) -> GeneratorOptions:
    """Validate ``values`` against the generator's ``Options``; errors are one sentence naming the option."""
    from pydantic import ValidationError

    from ddif_core.errors import ConfigError

    try:
        return generator_cls.Options.model_validate(values)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first.get("loc", ())) or "?"
        fields = ", ".join(generator_cls.Options.model_fields)
        if first.get("type") == "extra_forbidden":
            raise ConfigError(f"generator '{generator_cls.name}' has no option '{key}' (options: {fields})") from None
        msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        raise ConfigError(
            f"invalid value {first.get('input')!r} for option '{key}' of generator '{generator_cls.name}': "
            f"{msg[0].lower() + msg[1:]}"
        ) from None


def make_dataset(generator_cls: type[DataGenerator], options: GeneratorOptions, out_dir: Path,
                 progress: Callable[[int, int], None] | None = None) -> Path:
    """Run a generator into ``out_dir`` atomically: it writes into a temporary folder beside ``out_dir``
    that is renamed into place when ``make`` returns (a failing generator leaves nothing).

    :raises ConfigError: ``out_dir`` exists and is not empty (see :func:`ddif_core.outdir.require_new_dir`).
    """
    from ddif_core.outdir import new_output_dir, require_new_dir

    out_dir = require_new_dir(Path(out_dir))
    with new_output_dir(out_dir) as tmp:
        generator_cls().make(tmp, options, progress)
    return out_dir


def describe_generator(generator_cls: type[DataGenerator]) -> dict[str, Any]:
    """``ddif data list --json`` entry: name, modality, description and options (default, description)."""
    return {
        "name": generator_cls.name,
        "modality": generator_cls.modality,
        "description": generator_cls.description,
        "options": {
            name: {"default": f.default if f.default is not PydanticUndefined else None,
                   "description": f.description or ""}
            for name, f in generator_cls.Options.model_fields.items()
        },
    }
