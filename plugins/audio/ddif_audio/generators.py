"""``ddif data make speech-synth``: the eight command words spoken by espeak-ng (see :mod:`ddif_audio.synth`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from ddif_core import DataGenerator, GeneratorOptions
from ddif_audio.layouts import IDC_WORDS, check_words


class SpeechSynthOptions(GeneratorOptions):
    per_class: int = Field(100, ge=2, description="Speakers, i.e. files per word (about 10% test, 10% validation).")
    words: list[str] = Field(list(IDC_WORDS), description="Words to speak (Speech Commands words).")
    snr_min_db: float = Field(10.0, description="Lowest signal-to-noise ratio of the background noise (dB).")
    snr_max_db: float = Field(40.0, description="Highest signal-to-noise ratio of the background noise (dB).")

    @field_validator("words")
    @classmethod
    def _words(cls, v: list[str]) -> list[str]:
        return check_words(v, "words")

    @model_validator(mode="after")
    def _snr(self) -> "SpeechSynthOptions":
        if self.snr_min_db > self.snr_max_db:
            raise ValueError(f"snr_min_db ({self.snr_min_db}) must not exceed snr_max_db ({self.snr_max_db})")
        return self


class SpeechSynth(DataGenerator):
    """Speech Commands layout (both split lists, _background_noise_), synthesised offline with espeak-ng."""

    name = "speech-synth"
    modality = "audio"
    description = ("The 8 command words (yes, no, go, stop, left, right, up, down) spoken by espeak-ng voices with "
                   "random pitch/speed, shifts and background noise; Speech Commands layout, 16 kHz WAV.")
    Options = SpeechSynthOptions

    def make(self, out_dir: Path, options: GeneratorOptions,
             progress: Callable[[int, int], None] | None = None) -> None:
        from ddif_audio.modality import cpu_workers
        from ddif_audio.synth import synthesise

        o: SpeechSynthOptions = options  # type: ignore[assignment]
        synthesise(Path(out_dir), o.per_class, o.seed, tuple(o.words), (o.snr_min_db, o.snr_max_db),
                   workers=cpu_workers(), progress=progress)
