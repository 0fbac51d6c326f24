"""Hook module of ddif-signal (entry point ``signal`` in group ``ddif``).

It imports nothing heavy at module level: ``ddif --help`` loads every plugin's hook module, so the
classes (and torch) are imported inside the hook bodies.
"""

from __future__ import annotations

from collections.abc import Callable

from ddif_core import hookimpl


@hookimpl
def register_modalities(register: Callable[[type], None]) -> None:
    from ddif_signal.modality import SignalModality

    register(SignalModality)


@hookimpl
def register_generators(register: Callable[[type], None]) -> None:
    from ddif_signal.generator import WavesGenerator

    register(WavesGenerator)
