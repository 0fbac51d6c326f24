"""The hooks a ddif plugin can implement.

A plugin is a module exposed under the entry-point group ``ddif``; it marks its functions with
:data:`hookimpl`. All registration hooks have one shape: they receive a ``register`` callback and
call it once per item they contribute. Hook modules should import nothing heavy (no torch) at module
level: import your classes inside the hook body, so that ``ddif --help`` stays fast.

Example (``ddif_voxel/plugin.py``)::

    from ddif_core.hookspecs import hookimpl

    @hookimpl
    def register_modalities(register):
        from ddif_voxel.modality import VoxelModality
        register(VoxelModality)
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

PROJECT = "ddif"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_modalities(register: Callable[[type], None]) -> None:
    """Register :class:`ddif_core.modality.Modality` subclasses.

    :param register: call ``register(ModalityClass)`` once per modality; the class's ``name``
        attribute is the name users pass to ``--modality``.
    """


@hookspec
def register_matchers(register: Callable[[type], None]) -> None:
    """Register :class:`ddif_core.matcher.Matcher` subclasses (distillation losses).

    :param register: call ``register(MatcherClass)``; its ``name`` is what ``--loss`` takes.
    """


@hookspec
def register_networks(register: Callable[[Any], None]) -> None:
    """Register networks used for matching and evaluation.

    :param register: call ``register(NetworkDef(name, build, modalities, description, Options))``
        (:class:`ddif_core.NetworkDef`); ``build(sample_shape, num_classes, options)`` returns an
        ``nn.Module`` with ``forward(x) -> logits`` and ``embed(x) -> features``; ``options`` is the
        run's ``[net]`` section validated against ``Options``. ``convnet`` is the core's.
    """


@hookspec
def register_parameterizations(register: Callable[[type], None]) -> None:
    """Register :class:`ddif_core.parameterization.Parameterization` subclasses.

    :param register: call ``register(ParameterizationClass)``; its ``name`` is what ``--param`` takes.
    """


@hookspec
def register_generators(register: Callable[[type], None]) -> None:
    """Register :class:`ddif_core.DataGenerator` subclasses (small datasets in a modality's real layout).

    :param register: call ``register(GeneratorClass)``; its ``name`` is what ``ddif data make`` takes
        and its ``modality`` names the modality that reads what it writes.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add subcommands to the ``ddif`` command line.

    :param cli: the root :class:`click.Group`; add commands with ``cli.add_command(...)`` or
        ``@cli.group()``; a name that already exists (``run``, ``data``, another plugin's) is an error, never
        a replacement. Datasets are made through ``register_generators`` (``ddif data make``), not here.
    """
