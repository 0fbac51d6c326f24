"""User-facing errors.

Every problem a user can fix (a missing file, a bad option, an unknown plugin) is raised as a
:class:`DdifError` whose message is one sentence naming the file or option and what was expected.
The CLI prints that sentence and exits non-zero; the traceback is shown only with ``--debug``.
"""

from __future__ import annotations


class DdifError(Exception):
    """An error the user can act on; ``str(err)`` is the whole message."""


class DataError(DdifError):
    """A dataset root, file or record that is missing, unreadable or malformed."""


class ConfigError(DdifError):
    """An option, preset, TOML file or ``--set`` entry that is unknown or invalid."""


class PluginError(DdifError):
    """A modality, matcher, network or parameterization that is unknown, broken or registered twice."""


class TrainingError(DdifError):
    """A run that cannot continue, such as a loss that became NaN or infinite."""
