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
from typing import ClassVar

from pydantic import Field

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
    """

    name: ClassVar[str]
    modality: ClassVar[str]
    description: ClassVar[str] = ""
    Options: ClassVar[type[GeneratorOptions]] = GeneratorOptions

    @abstractmethod
    def make(self, out_dir: Path, options: GeneratorOptions,
             progress: Callable[[int, int], None] | None = None) -> None:
        """Write a dataset in the modality's real on-disk layout into out_dir (an empty folder the core made).

        :param options: a validated instance of :attr:`Options`.
        :param progress: optional ``progress(done, total)`` callback.
        """
