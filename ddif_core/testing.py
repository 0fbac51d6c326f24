"""Contract checks for plugin authors and a tiny toy modality for tests.

``check_modality(MyModality, ...)`` and ``check_matcher(MyMatcher)`` raise ``AssertionError`` with a
clear message when a part breaks the contract the engine relies on. The toy modality (3 classes of
8x8 one-channel "blobs" generated in memory) lets the core's tests run every part end to end in
seconds; register it with ``load_plugins(entry_points=[], extra=[(ddif_core.testing, "ddif-testing")])``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from pydantic import BaseModel, Field

from ddif_core.config import StrictModel
from ddif_core.data import ClassBank, LabelledData
from ddif_core.errors import DataError
from ddif_core.generators import DataGenerator, GeneratorOptions
from ddif_core.hookspecs import hookimpl
from ddif_core.modality import DatasetInfo, Modality
from ddif_core.session import load_split


class ToyOptions(StrictModel):
    size: int = Field(8, ge=4, description="Side length of the toy images.")
    per_class: int = Field(40, ge=2, description="Training instances per class (the test split has half).")


@dataclass(frozen=True)
class FlipParams:
    """Per-slot horizontal flips, drawn once and shared by a real and a synthetic batch."""

    flip: torch.Tensor  # (S,) bool


class ToyModality(Modality):
    """Three classes of blurred blobs at different places on a small grid (generated, never read)."""

    name = "toy"
    description = "Generated 1x8x8 blobs in 3 classes, for tests and contract checks."
    Options = ToyOptions
    default_dataset = "blobs"
    default_network = "mlp"

    @classmethod
    def datasets(cls) -> dict[str, DatasetInfo]:
        return {"blobs": DatasetInfo("blobs", (1, 8, 8), ("left", "centre", "right"), "generated blobs",
                                     {1: (2, 4)})}

    @classmethod
    def dataset_info(cls, dataset: str, options: BaseModel | None = None) -> DatasetInfo:
        info = super().dataset_info(dataset, options)
        size = getattr(options, "size", 8)
        return DatasetInfo(info.name, (1, size, size), info.class_names, info.description, dict(info.field_table))

    @classmethod
    def presets(cls) -> dict[str, dict[str, Any]]:
        return {"tiny": {"param": {"ddif": {"warmup_steps": 20}}, "distill": {"iterations": 3},
                         "eval": {"runs": 2, "epochs": 3}}}

    def load(self, split: str) -> LabelledData:
        o: ToyOptions = self.options  # type: ignore[assignment]
        n = o.per_class if split == "train" else max(1, o.per_class // 2)
        g = torch.Generator().manual_seed(1 if split == "train" else 2)
        size = o.size
        ax = torch.linspace(-1, 1, size)
        yy, xx = torch.meshgrid(ax, ax, indexing="ij")
        centres = torch.tensor([-0.5, 0.0, 0.5])
        cx = centres.repeat_interleave(n) + 0.15 * torch.randn(3 * n, generator=g)
        cy = 0.3 * torch.randn(3 * n, generator=g)
        img = torch.exp(-((xx[None] - cx[:, None, None]) ** 2 + (yy[None] - cy[:, None, None]) ** 2) / 0.1)
        img = img + 0.05 * torch.randn(img.shape, generator=g)
        return LabelledData(img.unsqueeze(1).float(), torch.arange(3).repeat_interleave(n), list(self.class_names))

    def sample_augmentation(self, num_slots: int, generator: torch.Generator) -> FlipParams:
        return FlipParams(torch.rand(num_slots, generator=generator) < 0.5)

    def augment(self, x: torch.Tensor, params: Any | None, slots: torch.Tensor | None = None) -> torch.Tensor:
        if params is None:
            return x
        slots = torch.arange(x.shape[0]) if slots is None else slots
        flip = params.flip[slots].to(x.device).view(-1, *([1] * (x.dim() - 1)))
        return torch.where(flip, x.flip(-1), x)

    export_formats = ("txt",)

    def render(self, x: Any, y: torch.Tensor, out_dir: Path, purpose: str, fmt: str | None = None) -> list[Path]:
        """Plain-text PGM pictures (dependency-free, still image files people can open) and text exports."""
        if purpose == "preview":
            return [_write_pgm(_class_rows(x, y, 10), out_dir / "preview.pgm")]
        if purpose == "per-class":
            return [_write_pgm(_class_rows(x[y == c], y[y == c], 100, only=c), out_dir / f"{c}_{name}.pgm")
                    for c, name in enumerate(self.class_names) if bool((y == c).any())]
        if purpose == "compare":
            side = max(v.shape[-1] for v in x)
            wide = torch.cat([torch.nn.functional.interpolate(v, size=(side, side), mode="nearest") for v in x], -1)
            return [_write_pgm(_class_rows(wide, y, 5), out_dir / "compare.pgm")]
        if purpose == "export":
            out = []
            for i, img in enumerate(x):
                rel = Path(f"{int(y[i])}/{i:04d}.txt")
                (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                (out_dir / rel).write_text("\n".join(" ".join(f"{v:.4f}" for v in row) for row in img[0].tolist()))
                out.append(rel)
            return out
        return []


def _class_rows(x: torch.Tensor, y: torch.Tensor, per_class: int, only: int | None = None) -> torch.Tensor:
    """(K, 1, H, W) -> one (rows*H, cols*W) picture, a row of up to ``per_class`` instances per class."""
    classes = [only] if only is not None else range(3)
    rows = [x[y == c][:per_class, 0] for c in classes]
    width = max(max(r.shape[0] for r in rows), 1) * x.shape[-1]
    bands = []
    for r in rows:
        band = torch.cat(list(r), dim=1) if r.shape[0] else torch.zeros(x.shape[-2], 0)
        bands.append(torch.nn.functional.pad(band, (0, width - band.shape[1])))
    return torch.cat(bands, dim=0)


def _write_pgm(img: torch.Tensor, path: Path) -> Path:
    img = ((img - img.min()) / (img.max() - img.min() + 1e-8) * 255).round().int()
    body = "\n".join(" ".join(str(int(v)) for v in row) for row in img)
    path.write_text(f"P2\n{img.shape[1]} {img.shape[0]}\n255\n{body}\n")
    return Path(path.name)


@hookimpl
def register_modalities(register: Callable[[type], None]) -> None:
    register(ToyModality)


class ToyGeneratorOptions(GeneratorOptions):
    per_class: int = Field(4, ge=1, description="Instances per class and split.")
    size: int = Field(8, ge=2, description="Side length of the square images.")


class ToyGenerator(DataGenerator):
    """Writes ``<split>/<class>/<i>.pgm`` plain-text images of noisy blobs (a tiny real on-disk layout)."""

    name = "toy-blobs"
    modality = "toy"
    description = "Noisy blobs in 3 classes as plain-text PGM files (for tests)."
    Options = ToyGeneratorOptions

    def make(self, out_dir: Path, options: GeneratorOptions,
             progress: Callable[[int, int], None] | None = None) -> None:
        import random

        o: ToyGeneratorOptions = options  # type: ignore[assignment]
        rng = random.Random(o.seed)
        total, done = 2 * 3 * o.per_class, 0
        for split in ("train", "test"):
            for c, cls in enumerate(ToyModality.datasets()["blobs"].class_names):
                folder = out_dir / split / cls
                folder.mkdir(parents=True)
                centre = (c + 0.5) * o.size / 3
                for i in range(o.per_class):
                    rows = [" ".join(str(min(255, max(0, int(255 * math.exp(-((col - centre) ** 2) / o.size)
                                                          + rng.randint(0, 20))))) for col in range(o.size))
                            for _ in range(o.size)]
                    (folder / f"{i:03d}.pgm").write_text(f"P2\n{o.size} {o.size}\n255\n" + "\n".join(rows) + "\n")
                    done += 1
                    if progress is not None:
                        progress(done, total)


@hookimpl
def register_generators(register: Callable[[type], None]) -> None:
    register(ToyGenerator)


def check_modality(modality_cls: type[Modality], options: BaseModel | None = None, dataset: str | None = None,
                   data_root: Path | None = None, network: Any | None = None, warmup_steps: int = 200) -> None:
    """Check a modality against the contract the engine relies on (loads its data: use tiny fixtures).

    Pass non-default ``options`` (e.g. a small size) as the plugin's tests do: ``dataset_info`` must
    describe what ``load`` returns under them. Besides the data (splits, shapes, labels, dtype, finite
    values, every class present in train), augmentation, resizing, ``Options``, ``state()`` and presets,
    and rendering, it checks the default network (:func:`check_network`, or ``network``: a
    :class:`~ddif_core.NetworkDef`) on loaded instances and on instances decoded from fields, and that
    a warm-up of 4 fields of the dataset's Table-8 size (``warmup_steps`` Adam steps at the default
    warm-up lr) lowers their reconstruction error.
    """
    assert isinstance(getattr(modality_cls, "name", None), str), "a modality needs a str 'name'"
    assert modality_cls.datasets(), f"{modality_cls.name}: datasets() is empty"
    mod = modality_cls(options, dataset, data_root)
    shape = mod.sample_shape
    assert len(shape) >= 2, f"{mod.name}: sample_shape must be (m, N_1, ..., N_n), got {shape}"
    # the info the engine uses: dataset_info(dataset, options), or what __init__ read from the files
    classes = list(mod.info.class_names)
    for split in ("train", "test"):
        try:  # the engine's own boundary checks: Dataset type, shape, int64 labels in range, float32, finite
            data = load_split(mod, split, torch.device("cpu"))
        except DataError as exc:
            raise AssertionError(str(exc)) from None
        y = data.labels
        names = list(getattr(data, "class_names", []) or [])
        assert not names or names == classes, (
            f"{mod.name}: load('{split}') names the classes {names[:4]}..., the modality's info {classes[:4]}..."
        )
        if split == "train":
            missing = sorted(set(range(len(classes))) - set(y.unique().tolist()))
            assert not missing, f"{mod.name}: the train split has no instance of class(es) {missing}"
        first = data.get(torch.arange(min(8, len(data))))
    x = first[:4].clone().requires_grad_(True)
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    a = mod.augment(x, mod.sample_augmentation(4, g1))
    b = mod.augment(x, mod.sample_augmentation(4, g2))
    assert a.shape == x.shape, f"{mod.name}: augment changed the shape to {tuple(a.shape)}"
    assert torch.equal(a, b), f"{mod.name}: the same augmentation parameters gave different outputs"
    a.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all(), f"{mod.name}: augment is not differentiable"
    bigger = mod.shape_at(tuple(2 * s for s in shape[1:]))
    assert bigger[0] == shape[0], f"{mod.name}: shape_at changed the channels"
    assert tuple(mod.resize(first[:2], bigger).shape[1:]) == bigger, f"{mod.name}: resize missed {bigger}"
    smaller = mod.shape_at(tuple(max(1, s // 2) for s in shape[1:]))
    assert tuple(mod.resize(first[:2], smaller).shape[1:]) == smaller, f"{mod.name}: resize missed {smaller}"
    _check_options_state_presets(modality_cls, mod, options, dataset, data_root)
    _check_render(mod, first[:4].detach(), data.labels[:4])
    decoded = _check_warmup(mod, first[:4].detach(), warmup_steps)
    net_def = network if network is not None else _default_network(mod)
    for what, inputs in (("loaded", first[:3].detach()), ("decoded", decoded[:3])):
        try:
            check_network(net_def, tuple(shape), mod.info.num_classes, inputs=inputs)
        except AssertionError as exc:
            raise AssertionError(f"{mod.name}: on {what} instances, {exc}") from None


def _default_network(mod: Modality) -> Any:
    """The modality's default :class:`~ddif_core.NetworkDef` from the installed plugins."""
    from ddif_core.errors import PluginError
    from ddif_core.plugins import get_registry

    try:
        return get_registry().entry("networks", mod.default_network).obj
    except PluginError as exc:
        raise AssertionError(f"{mod.name}: default_network '{mod.default_network}' is not registered ({exc}); install "
                             f"the plugin that provides it, or pass network= to check_modality") from None


def _check_warmup(mod: Modality, x: torch.Tensor, steps: int) -> torch.Tensor:
    """Fit one field of the dataset's Table-8 size to each of x (k, m, N...); the error must drop.

    :returns: the fitted fields decoded on the instance grid, (k, m, N...).
    """
    from ddif_core.fields import FieldBank
    from ddif_core.parameterization import DDiFOptions, field_settings

    opts = DDiFOptions()
    s = field_settings(opts, tuple(mod.sample_shape), 1, mod.info.field_table)
    k, m = x.shape[0], x.shape[1]
    bank = FieldBank(k, len(mod.sample_shape) - 1, m, s["layers"], s["width"], w0=s["w0"], w0_first=s["w0_first"],
                     generator=torch.Generator().manual_seed(0))
    flat = x.reshape(k, m, -1)  # (k, m, P), as decode_grid gives
    grid = tuple(mod.sample_shape[1:])
    with torch.no_grad():
        before = float((bank.decode_grid(grid) - flat).square().mean())
    bank.fit(grid, flat.transpose(1, 2), steps, opts.warmup_lr)  # fit takes (k, P, m)
    with torch.no_grad():
        decoded = bank.decode_grid(grid)
    after = float((decoded - flat).square().mean())
    assert after < before, (
        f"{mod.name}: a warm-up of {k} fields (layers {s['layers']}, width {s['width']}, w0 {s['w0_first']}/{s['w0']}) "
        f"for {steps} steps did not lower the reconstruction error ({before:.4g} -> {after:.4g}); check the values' "
        f"scale and the dataset's field_table"
    )
    return decoded.reshape(x.shape)


def _check_options_state_presets(modality_cls: type[Modality], mod: Modality, options: BaseModel | None,
                                 dataset: str | None, data_root: Path | None) -> None:
    """Options forbid unknown keys; state() survives load_state() into a fresh instance; presets validate."""
    from pydantic import ValidationError

    from ddif_core.config import build_config, validate_options
    from ddif_core.errors import DdifError

    try:
        modality_cls.Options.model_validate({"no_such_option_xyz": 1})
    except ValidationError:
        pass
    else:
        raise AssertionError(f"{mod.name}: Options accepts an unknown key; subclass ddif_core.StrictModel "
                             f"(extra='forbid') so typos in [modality] are errors")
    saved = mod.state()
    fresh = modality_cls(options, dataset, data_root)
    fresh.load_state({k: v.clone() for k, v in saved.items()})
    again = fresh.state()
    assert again.keys() == saved.keys() and all(torch.equal(again[k], saved[k]) for k in saved), (
        f"{mod.name}: load_state(state()) into a fresh instance does not give the same state() back"
    )
    for preset, values in modality_cls.presets().items():
        try:
            config = build_config({"modality": mod.name, "preset": preset}, presets=lambda _: modality_cls.presets())
            validate_options(modality_cls.Options, config.modality, "modality", f"preset '{preset}'")
        except DdifError as exc:
            raise AssertionError(f"{mod.name}: preset '{preset}' does not validate: {exc}") from None


def _check_render(mod: Modality, x: torch.Tensor, y: torch.Tensor) -> None:
    """render() writes the files it returns; 'export' writes one file per instance in every export format."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ddif-check-render-") as tmp:
        root = Path(tmp)
        for purpose in ("preview", "per-class"):
            made = mod.render(x, y, root / purpose, purpose) if _mkdir(root / purpose) else []
            missing = [str(p) for p in made if not (root / purpose / p).is_file()]
            assert not missing, f"{mod.name}: render('{purpose}') returned {missing}, which it did not write"
        for fmt in mod.export_formats:
            folder = root / f"export-{fmt}"
            folder.mkdir()
            made = mod.render(x, y, folder, "export", fmt)
            assert len(made) == x.shape[0], (
                f"{mod.name}: render('export', '{fmt}') wrote {len(made)} files for {x.shape[0]} instances; it must "
                f"write one file per instance, in order"
            )
            assert all((folder / p).is_file() for p in made), f"{mod.name}: render('export', '{fmt}') lists missing files"


def _mkdir(path: Path) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    return True


def check_matcher(matcher_cls: type, options: BaseModel | None = None, steps: int = 2) -> list[float]:
    """Run ``steps`` iterations of a matcher on the toy modality; the loss must be finite and its
    gradients must reach the field parameters. Returns the losses."""
    from ddif_core.distill import Optimizers
    from ddif_core.matcher import MatcherContext
    from ddif_core.mlp import MLP
    from ddif_core.parameterization import DDiFOptions, DDiFParameterization

    torch.manual_seed(0)
    mod = ToyModality()
    real = ClassBank(mod.load("train"))
    p_opts = DDiFOptions(layers=2, width=4, warmup_steps=5)
    plan = DDiFParameterization.make_plan(p_opts, mod.sample_shape, 1, {})
    syn = DDiFParameterization(p_opts, plan, mod.sample_shape, 3, generator=torch.Generator().manual_seed(0))
    syn.initialize(real, torch.Generator().manual_seed(1))
    import tempfile

    ctx = MatcherContext(mod, real, lambda name=None: MLP(mod.sample_shape, 3, width=16), torch.device("cpu"),
                         seed=0, ipc=1, sample_shape=tuple(mod.sample_shape), num_classes=3,
                         cache_dir=Path(tempfile.mkdtemp(prefix="ddif-check-")))
    matcher = matcher_cls(options)
    matcher.prepare(ctx)
    opt = Optimizers.build(syn, matcher, lr=1e-4)
    losses = []
    for it in range(steps):
        loss = matcher.step(ctx, syn, torch.Generator().manual_seed(it))
        assert loss.dim() == 0, f"{matcher_cls.__name__}.step must return a scalar, got shape {tuple(loss.shape)}"
        assert torch.isfinite(loss), f"{matcher_cls.__name__}: loss is {float(loss.detach())} at step {it}"
        opt.step(loss)
        grads = [p.grad for p in syn.parameters()]
        assert all(g is not None for g in grads), f"{matcher_cls.__name__}: no gradient reached the fields"
        assert any(float(g.abs().sum()) > 0 for g in grads), f"{matcher_cls.__name__}: zero gradient on the fields"
        state = matcher.state_dict()
        assert all(torch.is_tensor(v) for v in state.values()), f"{matcher_cls.__name__}: state_dict holds non-tensors"
        losses.append(float(loss.detach()))
    return losses


def check_network(network_def: Any, sample_shape: tuple[int, ...], num_classes: int,
                  options: BaseModel | None = None, batch: int = 3, inputs: torch.Tensor | None = None) -> None:
    """Check a registered network: forward gives (B, classes), embed gives (B, F), and it works under
    ``torch.func`` as the matchers use it (``functional_call``; per-sample gradients with ``vmap(grad)``).

    :param network_def: a :class:`ddif_core.NetworkDef` (e.g. ``get_registry().entry("networks", name).obj``).
    :param sample_shape: (m, N_1, ..., N_n) of one instance.
    :param inputs: (B, m, N_1, ..., N_n) instances to run it on (default: ``batch`` Gaussian ones).
    """
    from torch.func import functional_call, grad, vmap

    name = getattr(network_def, "name", repr(network_def))
    opts = options if options is not None else network_def.Options()
    net = network_def.build(tuple(sample_shape), num_classes, opts)
    assert isinstance(net, torch.nn.Module), f"network '{name}': build() returned {type(net).__name__}, not an nn.Module"
    x = inputs if inputs is not None else torch.randn(batch, *sample_shape, generator=torch.Generator().manual_seed(0))
    batch = x.shape[0]
    out = net(x)
    assert tuple(out.shape) == (batch, num_classes), (
        f"network '{name}': forward of {tuple(x.shape)} gave {tuple(out.shape)}; expected ({batch}, {num_classes}) logits"
    )
    assert hasattr(net, "embed"), f"network '{name}': the module needs embed(x) -> (B, F) (distribution matching uses it)"
    feats = net.embed(x)
    assert feats.dim() == 2 and feats.shape[0] == batch, (
        f"network '{name}': embed of {tuple(x.shape)} gave {tuple(feats.shape)}; expected ({batch}, F)"
    )
    assert torch.isfinite(out).all() and torch.isfinite(feats).all(), f"network '{name}': NaN or inf in its output"
    params = {k: v.detach() for k, v in net.named_parameters()}
    y = torch.arange(batch) % num_classes

    def loss(p: dict[str, torch.Tensor], xi: torch.Tensor, yi: torch.Tensor) -> torch.Tensor:
        logits = functional_call(net, p, (xi.unsqueeze(0),))
        return torch.nn.functional.cross_entropy(logits, yi.unsqueeze(0))

    try:
        grads = vmap(grad(loss), in_dims=(None, 0, 0), randomness="different")(params, x, y)
    except Exception as exc:  # noqa: BLE001 - the message says what to fix
        raise AssertionError(
            f"network '{name}': per-sample gradients with torch.func.vmap(grad(...)) failed ({type(exc).__name__}: "
            f"{exc}); avoid in-place updates of buffers and data-dependent Python control flow in forward"
        ) from None
    for key, g in grads.items():
        assert tuple(g.shape) == (batch, *params[key].shape), f"network '{name}': gradient of {key} has shape {tuple(g.shape)}"
        assert torch.isfinite(g).all(), f"network '{name}': NaN or inf in the gradient of {key}"


def check_generator(generator_cls: type, modality_cls: type[Modality] | None = None, dataset: str | None = None,
                    options: dict[str, Any] | None = None, work_dir: Path | None = None) -> Path:
    """Check a data generator: the same bytes twice for a seed, and (with ``modality_cls``) its output reads
    back through that modality (``dataset`` names the reader) and passes :func:`check_modality`.

    :param options: option values (keep them tiny); returns the folder of the first output.
    """
    import tempfile

    name = getattr(generator_cls, "name", generator_cls.__name__)
    assert issubclass(generator_cls, DataGenerator), f"generator '{name}' must subclass ddif_core.DataGenerator"
    opts = generator_cls.Options.model_validate(options or {})
    root = Path(work_dir) if work_dir is not None else Path(tempfile.mkdtemp(prefix="ddif-check-generator-"))
    outs = [root / "first", root / "second"]
    for out in outs:
        out.mkdir(parents=True, exist_ok=False)
        generator_cls().make(out, opts)
    files = [sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) for out in outs]
    assert files[0], f"generator '{name}' wrote no file"
    assert files[0] == files[1], f"generator '{name}' wrote different files for the same seed"
    for rel in files[0]:
        a, b = (out / rel for out in outs)
        assert a.read_bytes() == b.read_bytes(), f"generator '{name}': {rel} differs between two runs with one seed"
    if modality_cls is not None:
        assert getattr(generator_cls, "modality", None) == modality_cls.name, (
            f"generator '{name}' says modality {getattr(generator_cls, 'modality', None)!r}, not '{modality_cls.name}'"
        )
        check_modality(modality_cls, dataset=dataset, data_root=outs[0])
    return outs[0]
