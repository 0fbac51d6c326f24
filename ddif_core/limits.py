"""Refusing sizes the machine cannot hold, before allocating them.

:func:`check_memory` compares the bytes a step would allocate with what the process may still use:
the available memory of the machine (``MemAvailable``), the free part of a cgroup memory limit and of
an address-space limit (``ulimit -v``), or for a CUDA device its free memory. A size above that is a
:class:`~ddif_core.errors.ConfigError` naming the size, instead of an allocation failing (or the
machine swapping) half-way through a run.
"""

from __future__ import annotations

import math
import resource
from pathlib import Path

from ddif_core.errors import ConfigError

BYTES_PER_STORED_PARAM = 16
"""float32 value + gradient + Adam's two moments."""


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().split()[0]
    except (OSError, IndexError):
        return None
    return int(text) if text.isdigit() else None


def available_bytes() -> int | None:
    """Bytes this process can still allocate on the CPU, or None when the system does not say."""
    limits: list[int] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    cg_max, cg_cur = _read_int("/sys/fs/cgroup/memory.max"), _read_int("/sys/fs/cgroup/memory.current")
    if cg_max is not None and cg_cur is not None:
        limits.append(max(0, cg_max - cg_cur))
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        used = 0
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmSize:"):
                    used = int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
        limits.append(max(0, soft - used))
    return min(limits) if limits else None


def device_free_bytes(device: object) -> int | None:
    """Free memory of a CUDA device (None for other devices)."""
    if getattr(device, "type", None) != "cuda":
        return None
    import torch

    free, _ = torch.cuda.mem_get_info(device)  # type: ignore[arg-type]
    return int(free)


def _gib(n: int) -> str:
    if n >= 2**50:
        return f"{n / 2**40:.3g} TiB"
    return f"{n / 2**30:,.1f} GiB" if n >= 2**27 else f"{n / 2**10:,.1f} KiB" if n < 2**20 else f"{n / 2**20:,.1f} MiB"


def check_memory(nbytes: int, what: str, hint: str, device: object = None) -> None:
    """Raise a one-sentence ConfigError when ``nbytes`` cannot be allocated (on ``device``, default CPU).

    :param what: what needs the memory, e.g. "the synthetic set of --ipc 20000".
    :param hint: what to lower, e.g. "lower --ipc".
    """
    free = device_free_bytes(device) if device is not None and getattr(device, "type", "cpu") != "cpu" \
        else available_bytes()
    if free is None or nbytes <= free:
        return
    where = f" on {device}" if device is not None and getattr(device, "type", "cpu") != "cpu" else ""
    raise ConfigError(f"{what} needs {_gib(nbytes)} of memory{where} but only {_gib(free)} are available; {hint}")


def tensor_bytes(*shape: int, itemsize: int = 4) -> int:
    """Bytes of a dense tensor of ``shape`` (Python integers: no overflow for absurd sizes)."""
    return math.prod(int(s) for s in shape) * itemsize


def run_bytes(budget_used: int, num_items: int, sample_shape: tuple[int, ...]) -> int:
    """Rough least memory of distilling: every stored parameter with gradient and Adam moments, plus the
    decoded set (K, m, N...) in float32 that previews and evaluation use."""
    return BYTES_PER_STORED_PARAM * int(budget_used) + tensor_bytes(num_items, *sample_shape)


def check_working_set(parts: dict[str, tuple[int, str]], device: object = None) -> int:
    """Refuse a run whose largest phase does not fit: ``parts`` maps what is held to (bytes, the option
    that lowers it); the warm-up happens before, not with, the matching (decoded set + real batches).

    :returns: the bytes of the larger phase.
    """
    warm = {k: v for k, v in parts.items() if k == "warm-up"}
    rest = {k: v for k, v in parts.items() if k != "warm-up"}
    phases = [p for p in (warm, rest) if p]
    worst = max(phases, key=lambda p: sum(b for b, _ in p.values()))
    total = sum(b for b, _ in worst.values())
    biggest = max(worst, key=lambda k: worst[k][0])
    held = ", ".join(f"{k} {_gib(b)}" for k, (b, _) in worst.items())
    check_memory(total, f"this run ({held})", f"lower {worst[biggest][1]}", device)
    return total


__all__ = ["available_bytes", "check_memory", "check_working_set", "run_bytes", "tensor_bytes"]
