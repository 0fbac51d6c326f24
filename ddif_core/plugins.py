"""Plugin discovery and the registry of modalities, matchers, networks and parameterizations.

Plugins are modules exposed under the entry-point group ``ddif``. They are loaded one at a time:
a plugin that fails to import, implements a hook that does not exist (a misspelt name), or raises
inside a hook is recorded in :attr:`PluginSet.errors` and shown by ``ddif plugins``; it never
breaks other commands. Built-in parts (``ddif_core.builtins``) register through the same hooks.
"""

from __future__ import annotations

import functools
import importlib
import re
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from ddif_core import hookspecs
from ddif_core.errors import PluginError
from ddif_core.version import __version__

ENTRY_POINT_GROUP = "ddif"
KINDS = ("modalities", "matchers", "networks", "parameterizations", "generators")
SINGULAR = {
    "modalities": "modality",
    "matchers": "matcher",
    "networks": "network",
    "parameterizations": "parameterization",
    "generators": "generator",
}
#: What ``register`` of each kind takes: (module, class name, whether a subclass rather than an instance).
EXPECTED: dict[str, tuple[str, str, bool]] = {
    "modalities": ("ddif_core.modality", "Modality", True),
    "matchers": ("ddif_core.matcher", "Matcher", True),
    "networks": ("ddif_core.networks", "NetworkDef", False),
    "parameterizations": ("ddif_core.parameterization", "Parameterization", True),
    "generators": ("ddif_core.generators", "DataGenerator", True),
}
#: Which distribution provides a well-known name that may not be installed.
KNOWN_PROVIDERS: dict[str, dict[str, str]] = {
    "modalities": {"image": "ddif-image", "video": "ddif-video", "audio": "ddif-audio", "voxel": "ddif-voxel"},
    "matchers": {},
    "networks": {
        "alexnet": "ddif-image",
        "vgg11": "ddif-image",
        "resnet18": "ddif-image",
        "vit": "ddif-image",
        "conv3dnet": "ddif-voxel",
        "convnet3d": "ddif-video",
    },
    "parameterizations": {},
    "generators": {},
}
_NAME = re.compile(r"^[a-z][a-z0-9_\-]*$")


@dataclass(frozen=True)
class Entry:
    """One registered item and where it came from."""

    kind: str
    name: str
    obj: Any
    distribution: str
    version: str

    def describe(self) -> dict[str, str]:
        doc = getattr(self.obj, "description", "") or (getattr(self.obj, "__doc__", "") or "").strip()
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "description": doc.splitlines()[0] if doc else "",
        }


@dataclass(frozen=True)
class LoadError:
    """A plugin that could not be loaded or whose hook failed."""

    plugin: str
    distribution: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"plugin": self.plugin, "distribution": self.distribution, "message": self.message}


@dataclass
class PluginSet:
    """A loaded plugin manager plus the distribution behind each plugin and the load errors."""

    manager: pluggy.PluginManager
    distributions: dict[str, tuple[str, str]] = field(default_factory=dict)
    errors: list[LoadError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def distribution_of(self, plugin_name: str) -> tuple[str, str]:
        return self.distributions.get(plugin_name, (plugin_name, "unknown"))


def _new_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def _register_checked(ps: PluginSet, module: ModuleType, name: str, dist: str, version: str) -> None:
    """Register one plugin module; on any validation failure, record it and leave it out."""
    try:
        ps.manager.register(module, name=name)
    except Exception as exc:  # pluggy.PluginValidationError, ValueError for duplicate plugin names
        ps.errors.append(LoadError(name, dist, f"plugin '{name}' from {dist} is invalid: {exc}"))
        return
    try:
        ps.manager.check_pending()
    except pluggy.PluginValidationError as exc:
        ps.manager.unregister(name=name)
        known = ", ".join(h for h in dir(hookspecs) if h.startswith("register_"))
        ps.errors.append(
            LoadError(name, dist, f"plugin '{name}' from {dist} implements an unknown hook ({exc}); known hooks: {known}")
        )
        return
    ps.distributions[name] = (dist, version)


def load_plugins(
    entry_points: Iterable[Any] | None = None,
    extra: Iterable[tuple[ModuleType, str]] = (),
) -> PluginSet:
    """Load the built-in plugin and every ``ddif`` entry point, one at a time.

    :param entry_points: entry points to load instead of the installed ones (for tests).
    :param extra: additional ``(module, distribution name)`` plugins (for tests and embedding).
    """
    ps = PluginSet(_new_manager())
    builtins = importlib.import_module("ddif_core.builtins")
    _register_checked(ps, builtins, "ddif-core", "ddif-core", __version__)
    eps = list(metadata.entry_points(group=ENTRY_POINT_GROUP)) if entry_points is None else list(entry_points)
    seen: set[str] = set()
    for ep in eps:
        dist = getattr(getattr(ep, "dist", None), "name", None) or ep.name
        version = getattr(getattr(ep, "dist", None), "version", None) or "unknown"
        key = f"{dist}:{ep.name}"
        if key in seen:  # the same distribution visible twice on sys.path
            continue
        seen.add(key)
        heavy_before = _HEAVY & set(sys.modules)
        try:
            module = ep.load()
        except Exception as exc:
            ps.errors.append(LoadError(ep.name, dist, _import_failure(ep, dist, exc)))
            continue
        heavy = sorted(_HEAVY & set(sys.modules) - heavy_before)
        if heavy:
            ps.warnings.append(
                f"the hook module {ep.value} of {dist} imports {', '.join(heavy)} when it is loaded, which slows every "
                f"ddif command (ddif --help too); import them inside the hook functions"
            )
        _register_checked(ps, module, ep.name, dist, version)
    for module, dist in extra:
        _register_checked(ps, module, getattr(module, "__name__", dist), dist, "unknown")
    return ps


#: Modules a hook module should not import at load time (checked by comparing sys.modules).
_HEAVY = frozenset({"torch", "torchvision", "torchaudio", "numpy", "av", "trimesh", "PIL", "soundfile"})


def _import_failure(ep: Any, dist: str, exc: Exception) -> str:
    """One sentence for an entry point that does not import, naming the value it points at."""
    missing = getattr(exc, "name", None)
    value = getattr(ep, "value", "")
    module = value.split(":", 1)[0]
    if isinstance(exc, ModuleNotFoundError) and missing and module.startswith(missing):
        return (
            f"plugin '{ep.name}' from {dist}: its entry point names the module '{value}', which does not exist; the "
            f"value must be the import path of the hook module, such as ddif_mine.plugin"
        )
    return f"plugin '{ep.name}' from {dist} failed to import: {type(exc).__name__}: {exc}"


class Registry:
    """Everything the loaded plugins registered, by kind and name.

    A name registered by two distributions is an error naming both, raised when that name is
    looked up and listed in :attr:`errors`; it is never silently overwritten.
    """

    def __init__(self, plugins: PluginSet) -> None:
        self.plugins = plugins
        self.items: dict[str, dict[str, Entry]] = {k: {} for k in KINDS}
        self.conflicts: dict[tuple[str, str], list[str]] = {}
        self.errors: list[LoadError] = list(plugins.errors)
        for kind in KINDS:
            caller = getattr(plugins.manager.hook, f"register_{kind}")
            for impl in caller.get_hookimpls():
                dist, version = plugins.distribution_of(impl.plugin_name)
                try:
                    impl.function(register=functools.partial(self._add, kind, dist, version))
                except Exception as exc:
                    tb = traceback.extract_tb(exc.__traceback__)[-1]
                    self.errors.append(
                        LoadError(
                            impl.plugin_name,
                            dist,
                            f"register_{kind} of plugin '{impl.plugin_name}' from {dist} failed: "
                            f"{type(exc).__name__}: {exc} ({tb.filename}:{tb.lineno})",
                        )
                    )

    def _add(self, kind: str, dist: str, version: str, obj: Any) -> None:
        try:
            _check_type(kind, dist, obj)
        except PluginError as exc:  # recorded; the plugin's other items still register
            self.errors.append(LoadError(dist, dist, str(exc)))
            return
        name = getattr(obj, "name", None)
        if not isinstance(name, str) or not _NAME.match(name):
            raise PluginError(
                f"{SINGULAR[kind]} {obj!r} from {dist} needs a lowercase 'name' attribute "
                f"(letters, digits, '-' or '_'), got {name!r}"
            )
        table = self.items[kind]
        if name in table or (kind, name) in self.conflicts:
            dists = self.conflicts.setdefault((kind, name), [table[name].distribution] if name in table else [])
            dists.append(dist)
            self.errors.append(LoadError(dist, dist, _conflict(SINGULAR[kind], name, dists[0], dist)))
            return
        table[name] = Entry(kind, name, obj, dist, version)

    def names(self, kind: str) -> list[str]:
        return sorted(self.items[kind])

    def entry(self, kind: str, name: str) -> Entry:
        """Look up a registered item; unknown or ambiguous names raise one clear :class:`PluginError`."""
        single = SINGULAR[kind]
        if (kind, name) in self.conflicts:
            dists = self.conflicts[(kind, name)]
            raise PluginError(_conflict(single, name, dists[0], dists[1]))
        if name in self.items[kind]:
            return self.items[kind][name]
        available = ", ".join(self.names(kind)) or "none installed"
        msg = f"unknown {single} '{name}' (available: {available})"
        provider = KNOWN_PROVIDERS.get(kind, {}).get(name)
        if provider:
            broken = [e for e in self.errors if e.distribution == provider]
            if broken:
                msg += f"; {provider} is installed but failed to load: {broken[0].message}"
            else:
                msg += f"; install it with: pip install {provider}"
        raise PluginError(msg)

    def get(self, kind: str, name: str) -> Any:
        return self.entry(kind, name).obj

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            kind: [self.items[kind][n].describe() for n in self.names(kind)] for kind in KINDS
        }
        out["errors"] = [e.as_dict() for e in self.errors]
        out["warnings"] = list(self.plugins.warnings)
        return out

    def versions(self) -> dict[str, str]:
        """Distribution -> version of everything loaded (saved beside every result)."""
        out = {"ddif-core": __version__}
        for dist, version in self.plugins.distributions.values():
            out[dist] = version
        return dict(sorted(out.items()))


def _conflict(single: str, name: str, first: str, second: str) -> str:
    if first == second:
        return f"{single} '{name}' is registered twice by {first}; a name can be registered once"
    return f"{single} '{name}' is registered by both {first} and {second}; uninstall one of them"


def _check_type(kind: str, dist: str, obj: Any) -> None:
    """``register`` of ``kind`` takes a subclass of the kind's base class (an instance for networks)."""
    module, cls_name, subclass = EXPECTED[kind]
    base = getattr(importlib.import_module(module), cls_name)
    ok = isinstance(obj, type) and issubclass(obj, base) if subclass else isinstance(obj, base)
    if not ok:
        what = f"a subclass of ddif_core.{cls_name}" if subclass else f"a ddif_core.{cls_name}(...)"
        got = f"class {obj.__name__}" if isinstance(obj, type) else f"{type(obj).__name__} {obj!r:.60}"
        raise PluginError(f"register_{kind} of {dist} registered {got}, but it takes {what}")


@functools.lru_cache(maxsize=1)
def _default_plugins() -> PluginSet:
    return load_plugins()


@functools.lru_cache(maxsize=1)
def get_registry() -> Registry:
    """The process-wide registry of the installed plugins (loaded once)."""
    return Registry(_default_plugins())


def default_plugin_set() -> PluginSet:
    """The installed plugins (loaded once per process); used by the CLI for ``register_commands``."""
    return _default_plugins()
