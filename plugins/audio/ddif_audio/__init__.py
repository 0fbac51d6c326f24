"""ddif-audio: the audio modality of ddif (Speech Commands spectrograms, speech-synth, WAV/PNG renders)."""

__version__ = "0.1.0"
