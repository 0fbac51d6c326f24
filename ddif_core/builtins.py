"""The parts that ship with ddif-core, registered through the same hooks as any plugin."""

from __future__ import annotations

from typing import Any, Callable

from ddif_core.hookspecs import hookimpl


@hookimpl
def register_matchers(register: Callable[[type], None]) -> None:
    from ddif_core.matchers.dc import GradientMatching
    from ddif_core.matchers.dm import DistributionMatching
    from ddif_core.matchers.tm import TrajectoryMatching

    register(DistributionMatching)
    register(GradientMatching)
    register(TrajectoryMatching)


@hookimpl
def register_parameterizations(register: Callable[[type], None]) -> None:
    from ddif_core.parameterization import DDiFParameterization, VanillaParameterization

    register(DDiFParameterization)
    register(VanillaParameterization)


@hookimpl
def register_commands(cli: Any) -> None:
    """``ddif experts``, the command of the trajectory-matching matcher."""
    from ddif_core.matchers.tm_commands import experts_command

    cli.add_command(experts_command)


@hookimpl
def register_networks(register: Callable[[Any], None]) -> None:
    from ddif_core.networks import ConvNetOptions, NetworkDef, build_convnet

    register(
        NetworkDef(
            name="mlp",
            build=_build_mlp,
            description="Two-hidden-layer ReLU MLP on the flattened instance (any modality; a quick baseline).",
        )
    )
    register(
        NetworkDef(
            name="convnet",
            build=build_convnet,
            description="ConvNetD3-D7 for 1-D/2-D/3-D input (depth from the shortest side), 128 filters, instance "
            "norm, avg-pool.",
            Options=ConvNetOptions,
        )
    )


def _build_mlp(sample_shape: tuple[int, ...], num_classes: int, options: Any = None) -> Any:
    from ddif_core.mlp import MLP

    return MLP(sample_shape, num_classes)
