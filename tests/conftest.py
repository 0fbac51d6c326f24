from __future__ import annotations

import pytest

from ddif_core import testing
from ddif_core.plugins import Registry, load_plugins


@pytest.fixture
def registry() -> Registry:
    """ddif-core's built-ins plus the toy modality; no installed plugin is loaded."""
    return Registry(load_plugins(entry_points=[], extra=[(testing, "ddif-testing")]))
