"""FieldBank decoding and warm-up versus a per-instance loop of nn.Module SIRENs, and versus the
floor no CPU sine network can beat: ``torch.sin`` alone over the same number of hidden activations
(chunked into a reused buffer, since fresh large tensors pay page faults).

    python benchmarks/bench_fields.py            # all cases
    python benchmarks/bench_fields.py --case imagenet128 --peak-memory   # one case, in a fresh process
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from collections.abc import Callable

import torch
from torch import nn

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from common import best_of, peak_rss_mb, record  # noqa: E402

from ddif_core.cpu import tune_allocator  # noqa: E402

from ddif_core.fields import DEFAULT_CHUNK_ELEMENTS, FieldBank  # noqa: E402
from ddif_core.grid import coordinate_grid  # noqa: E402


class Sine(nn.Module):
    def __init__(self, w0: float) -> None:
        super().__init__()
        self.w0 = w0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.w0 * x)


def module_loop(bank: FieldBank) -> list[nn.Sequential]:
    """One nn.Sequential SIREN per field, holding the bank's weights (the usual research-code layout)."""
    mods = []
    for k in range(bank.num_fields):
        layers: list[nn.Module] = []
        for i, (w, b) in enumerate(zip(bank.weights, bank.biases)):
            lin = nn.Linear(w.shape[2], w.shape[1])
            with torch.no_grad():
                lin.weight.copy_(w[k])
                lin.bias.copy_(b[k, :, 0])
            layers.append(lin)
            if i < bank.layers:
                layers.append(Sine(bank.w0_first if i == 0 else bank.w0))
        mods.append(nn.Sequential(*layers))
    return mods


def sin_floor(num_activations: int, sample: torch.Tensor, chunk: int = DEFAULT_CHUNK_ELEMENTS) -> dict[str, float]:
    """Seconds ``torch.sin`` takes over ``num_activations`` values, chunked into reused buffers.

    ``sample`` holds real pre-activations of the fields (the cost of sin depends a little on the
    argument range). Two figures: ``src_to_dst`` reads one reused buffer and writes another (what a
    sine layer must at least do: read its pre-activation, write its activation) and ``in_place``
    overwrites one hot buffer (a lower bound no layer reaches, since the product writes the buffer
    just before).
    """
    src = sample.reshape(-1)[:chunk].clone()
    if src.numel() < chunk:
        src = src.repeat(chunk // src.numel() + 1)[:chunk].clone()
    dst = torch.empty_like(src)
    hot = src.clone()

    def run(fn: Callable[[int], None]) -> Callable[[], None]:
        def go() -> None:
            left = num_activations
            while left > 0:
                n = min(chunk, left)
                fn(n)
                left -= n
        return go

    def src_to_dst(n: int) -> None:
        torch.sin(src[:n], out=dst[:n])

    def in_place(n: int) -> None:  # sin's cost barely depends on the range, so repeats are fair
        hot[:n].sin_()

    return {"src_to_dst": best_of(run(src_to_dst), repeats=5), "in_place": best_of(run(in_place), repeats=5)}


def pre_activations(bank: FieldBank, coords: torch.Tensor) -> torch.Tensor:
    """The first hidden layer's pre-activations of a few fields (realistic sine arguments)."""
    with torch.no_grad():
        w, b = bank.weights[1][:4] * bank.w0, bank.biases[1][:4] * bank.w0
        h = torch.sin(bank.w0_first * (bank.weights[0][:4] @ coords.t() + bank.biases[0][:4]))
        return torch.baddbmm(b, w, h)


def case_small(repeats: int = 5) -> dict[str, object]:
    """K=370, L=2, d=6, m=3 on 32x32 (CIFAR / Fashion-MNIST size): forward + backward."""
    g = torch.Generator().manual_seed(0)
    bank = FieldBank(370, 2, 3, 2, 6, generator=g)
    coords = coordinate_grid((32, 32))
    mods = module_loop(bank)

    def bank_fb() -> None:
        bank.zero_grad(set_to_none=True)
        bank.decode(coords).sum().backward()

    def grid_fb() -> None:
        bank.zero_grad(set_to_none=True)
        bank.decode_grid((32, 32)).sum().backward()

    def loop_fb() -> None:
        for m in mods:
            m.zero_grad(set_to_none=True)
        torch.stack([m(coords) for m in mods]).sum().backward()

    with torch.no_grad():
        same = torch.allclose(bank.decode(coords), torch.stack([m(coords) for m in mods]), atol=1e-5)
        same_grid = torch.allclose(bank.decode_grid((32, 32)).transpose(1, 2), bank.decode(coords), atol=1e-5)
    t_bank, t_loop = best_of(bank_fb, repeats), best_of(loop_fb, repeats)
    t_grid = best_of(grid_fb, repeats)
    acts = 370 * 1024 * 6 * 2
    floors = sin_floor(acts, pre_activations(bank, coords))
    floor = floors["src_to_dst"]
    return {
        "shape": "K=370 L=2 d=6 m=3 grid 32x32, forward+backward",
        "outputs_match_loop": same,
        "fieldbank_ms": round(t_bank * 1e3, 2),
        "module_loop_ms": round(t_loop * 1e3, 2),
        "speedup_vs_loop": round(t_loop / t_bank, 1),
        "sin_floor_forward_ms": round(floor * 1e3, 2),
        "sin_in_place_ms": round(floors["in_place"] * 1e3, 2),
        "fieldbank_over_floor": round(t_bank / floor, 1),
        "grid_path_matches": same_grid,
        "fieldbank_grid_ms": round(t_grid * 1e3, 2),
        "grid_speedup_vs_loop": round(t_loop / t_grid, 1),
        "grid_over_floor": round(t_grid / floor, 2),
    }


def case_imagenet128(repeats: int = 3) -> dict[str, object]:
    """K=510, L=3, d=20, m=3 on 128x128 (ImageNet-128 IPC 1): forward only (no grad).

    ``fieldbank`` decodes arbitrary coordinates; ``fieldbank_grid`` is the path DDiF decodes
    instances with (:meth:`FieldBank.decode_grid`, separable first layer on the grid).
    """
    g = torch.Generator().manual_seed(0)
    bank = FieldBank(510, 2, 3, 3, 20, generator=g)
    coords = coordinate_grid((128, 128))
    rss0 = peak_rss_mb()
    with torch.no_grad():
        first = bank.decode(coords)
        rss_bank = peak_rss_mb()  # peak of one decode: output + two reused chunk buffers
        del first
        t_bank = best_of(lambda: bank.decode(coords), repeats)
        first = bank.decode_grid((128, 128))
        rss_grid = peak_rss_mb()
        same_grid = torch.allclose(first, bank.decode(coords).transpose(1, 2), atol=1e-4)
        del first
        t_grid = best_of(lambda: bank.decode_grid((128, 128)), repeats)
    mods = module_loop(bank)
    with torch.no_grad():
        out = bank.decode(coords)
        ref = torch.stack([m(coords) for m in mods[:8]])
        same = torch.allclose(out[:8], ref, atol=1e-4)
        del ref
        t_loop = best_of(lambda: torch.stack([m(coords) for m in mods]), repeats)
    acts = 510 * 128 * 128 * 20 * 3
    floors = sin_floor(acts, pre_activations(bank, coords))
    floor = floors["src_to_dst"]
    return {
        "shape": "K=510 L=3 d=20 m=3 grid 128x128, forward (no grad)",
        "outputs_match_loop": same,
        "fieldbank_s": round(t_bank, 3),
        "module_loop_s": round(t_loop, 3),
        "speedup_vs_loop": round(t_loop / t_bank, 2),
        "sin_floor_s": round(floor, 3),
        "sin_in_place_s": round(floors["in_place"], 3),
        "fieldbank_over_floor": round(t_bank / floor, 2),
        "grid_path_matches": same_grid,
        "fieldbank_grid_s": round(t_grid, 3),
        "grid_speedup_vs_loop": round(t_loop / t_grid, 2),
        "grid_over_floor": round(t_grid / floor, 2),
        "peak_rss_after_grid_mb": round(rss_grid, 1),
        "output_mb": round(out.numel() * 4 / 2**20, 1),
        "peak_rss_before_mb": round(rss0, 1),
        "peak_rss_after_fieldbank_mb": round(rss_bank, 1),
        "fieldbank_peak_increase_mb": round(rss_bank - rss0, 1),
    }


def case_warmup(steps: int = 200) -> dict[str, object]:
    """Warm-up of 110 fields (Fashion-MNIST IPC 1: L=2, d=6, m=1, 28x28): all at once vs one by one."""
    grid = (28, 28)
    targets = torch.rand(110, 784, 1, generator=torch.Generator().manual_seed(1))
    bank = FieldBank(110, 2, 1, 2, 6, generator=torch.Generator().manual_seed(0))
    # one-time process costs (torch.optim's first step imports ~1.6 s of modules) are paid before timing
    FieldBank(1, 2, 1, 2, 6).fit(grid, targets[:1], 2, 5e-4)
    t = time.perf_counter()
    bank.fit(grid, targets, steps, 5e-4)
    t_batched = time.perf_counter() - t
    t = time.perf_counter()
    for k in range(110):
        single = FieldBank(1, 2, 1, 2, 6, generator=torch.Generator().manual_seed(k))
        single.fit(grid, targets[k : k + 1], steps, 5e-4)
    t_seq = time.perf_counter() - t
    return {
        "shape": f"110 fields L=2 d=6 m=1 on 28x28, {steps} Adam steps",
        "batched_s": round(t_batched, 3),
        "one_after_another_s": round(t_seq, 3),
        "speedup": round(t_seq / t_batched, 1),
        "batched_5000_steps_estimate_s": round(t_batched * 5000 / steps, 1),
    }


CASES = {"small": case_small, "imagenet128": case_imagenet128, "warmup": case_warmup}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--case", choices=sorted(CASES))
    args = ap.parse_args()
    tune_allocator()  # as `ddif run` does
    if args.case:  # a single case in this process; print JSON for the parent
        print("RESULT " + json.dumps(CASES[args.case]()))
        return
    figures = {}
    for name in CASES:  # each case in a fresh process: clean peak-memory figures, no cache effects
        proc = subprocess.run([sys.executable, __file__, "--case", name], capture_output=True, text=True, check=True)
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
        figures[name] = json.loads(line.removeprefix("RESULT "))
        print(name, figures[name], flush=True)
    record("fields", figures)


if __name__ == "__main__":
    main()
