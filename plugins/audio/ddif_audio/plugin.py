"""Hook module of ddif-audio (entry point ``audio`` in group ``ddif``); imports nothing heavy."""

from __future__ import annotations

from typing import Callable

from ddif_core import hookimpl


@hookimpl
def register_modalities(register: Callable[[type], None]) -> None:
    from ddif_audio.modality import AudioModality

    register(AudioModality)


@hookimpl
def register_generators(register: Callable[[type], None]) -> None:
    from ddif_audio.generators import SpeechSynth

    register(SpeechSynth)
