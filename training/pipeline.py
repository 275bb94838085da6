"""The one entry point of training: data -> split -> fit -> evaluate -> ONNX with its card -> report.

``run(config, callbacks)`` is what ``genrelab train`` and the GUI's training page call. Everything is written
into a hidden folder next to ``config.out`` (``.<name>.partial``) and moved into place at the very end, so a
failed or cancelled run never leaves a half-written ``--out``; a cancelled run keeps its checkpoint there and
running the same configuration again resumes it. Bad input (empty folder, one genre, split lists naming missing
files...) is found before anything is written.
"""

from __future__ import annotations

import json
import logging
import os

# Idle OpenMP threads sleep instead of spinning (must be set before torch loads; the user's own setting wins).
# On a 2-core machine shared with the app, a decoder or another job, threads spinning while they wait for a
# descheduled sibling made a training step 2-8x slower (ResNet-BiGRU, batch 32: 7 vs 20 windows/s).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import platform
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from genrelab.dsp import GTZAN_IMAGE_STRIDE, FeatureSpec
from genrelab.errors import Cancelled, GenreLabError
from genrelab.progress import CancelToken, ProgressFn, report
from training import datasets, distributed, splits
from training.clips import Clip, all_windows, batch_inputs
from training.evaluate import Evaluation, evaluate_model, evaluate_net
from training.report import ARCH_NAMES, RunReport, to_toml, write_run
from training.trainer import BatchInfo, EpochStats, FitResult, TrainConfig, fit, resumable_config

PARITY_LIMIT = 1e-4
PARITY_MAX_WINDOWS = 256
QUANT_MAX_DROP = 0.01
SCRATCH = "from scratch (no ImageNet weights)"


class PipelineError(GenreLabError):
    """A training run cannot start or finish (output folder taken, bad option, failed check...)."""


@dataclass
class PipelineConfig:
    """One training run.

    Attributes:
        data: dataset folder (one sub-folder per genre).
        out: the run's output folder (must be new or empty unless ``force``).
        images: the data are GTZAN-style Mel-spectrogram images (:mod:`training.imageset`), not audio.
        split: ``paper`` | ``filtered`` | ``lists:DIR`` | ``kfold:K`` | ``kfold:K:I`` (:mod:`training.splits`).
        allow_missing: clips named in split lists but absent from the data are a warning, not an error.
        input: ``mel`` or ``stft``; image: ``native`` or ``paper`` (224x224 RGB).
        frame_stride: STFT frames per feature column (None: 1 for audio, the images' own stride for images).
        window_s: model window length in seconds.
        top_db: per-window scaling floor (dB below the window's maximum).
        train: the trainer's hyper-parameters.
        quantize: also try int8 dynamic quantisation (kept only if track accuracy drops <= 1 point).
        force: replace a non-empty ``out``.
        extend: continue the finished run in ``out`` (same configuration) up to ``train.epochs``; it is replaced
            by the longer run once that finishes (until then it stays as it was).
        cache_dir: feature cache ("default", a folder, or None for no cache).
        workers: decoding processes.
        name: the model's name in its card (default: made from the architecture and data).
        command: the command line, for the card and the report.
        notes: text for people, added to the card's notes and the report.
    """

    data: Path
    out: Path
    images: bool = False
    split: str = "paper"
    allow_missing: bool = False
    input: str = "mel"
    image: str = "native"
    frame_stride: float | None = None
    window_s: float = 3.0
    top_db: float = 80.0
    train: TrainConfig = field(default_factory=TrainConfig)
    quantize: bool = False
    force: bool = False
    extend: bool = False
    cache_dir: Path | str | None = "default"
    workers: int = 2
    name: str = ""
    command: str = ""
    notes: str = ""

    def feature_spec(self) -> FeatureSpec:
        """The spec the model is trained on and the app will compute."""
        if self.input not in ("mel", "stft"):
            raise PipelineError(f"input must be mel or stft (got {self.input!r})")
        if self.image not in ("native", "paper"):
            raise PipelineError(f"image must be native or paper (got {self.image!r})")
        if self.images and self.input != "mel":
            raise PipelineError("spectrogram images hold Mel bands: --input stft needs audio data")
        stride = self.frame_stride or (GTZAN_IMAGE_STRIDE if self.images else 1.0)
        try:
            return FeatureSpec(kind=self.input, image=self.image, frame_stride=stride, window_s=self.window_s,
                               top_db=self.top_db)
        except ValueError as exc:
            raise PipelineError(f"bad feature options: {exc}") from None

    def fingerprint(self) -> dict[str, Any]:
        """What decides the result (a partial run is resumed only when this matches).

        ``epochs``, ``patience`` and ``threads`` are left out: they say when to stop and how fast to go, not what
        an epoch computes, so an unfinished run can be resumed with more epochs, with fewer to stop now and keep
        its best epoch, or on another number of threads.
        """
        return {"data": str(Path(self.data).resolve()), "images": self.images, "split": self.split,
                "allow_missing": self.allow_missing, "spec": self.feature_spec().to_dict(),
                "train": resumable_config(asdict(self.train)), "quantize": self.quantize}

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["data"], d["out"] = str(self.data), str(self.out)
        d["cache_dir"] = str(self.cache_dir) if self.cache_dir is not None else "none"
        d["train"]["augment"] = list(self.train.augment)
        return d


@dataclass
class Callbacks:
    """Optional hooks: stage progress, per-batch and per-epoch reports, log lines, and a cancel flag."""

    progress: ProgressFn | None = None
    on_batch: Callable[[BatchInfo], None] | None = None
    on_epoch: Callable[[EpochStats], None] | None = None
    log: Callable[[str], None] | None = None
    cancel: CancelToken | None = None


@dataclass
class FoldResult:
    """One trained model (one fold, or the only one)."""

    folder: Path
    model_path: Path
    fit: FitResult
    evaluations: dict[str, Evaluation]
    parity: float
    int8_kept: bool | None
    windows_per_s: float


@dataclass
class RunResult:
    """What a run produced (paths point into ``out``)."""

    out: Path
    folds: list[FoldResult]
    dataset: datasets.Dataset
    skipped: list[tuple[Path, str]]

    @property
    def model_path(self) -> Path:
        return self.folds[0].model_path

    @property
    def evaluations(self) -> dict[str, Evaluation]:
        return self.folds[0].evaluations

    @property
    def parity_ok(self) -> bool:
        return all(f.parity <= PARITY_LIMIT for f in self.folds)

    @property
    def windows_per_s(self) -> float:
        return statistics.median(f.windows_per_s for f in self.folds)


# ---- the output folder -------------------------------------------------------------------------------------
def partial_dir(out: Path) -> Path:
    """Where a run is written before it is moved to ``out``."""
    return out.parent / f".{out.name}.partial"


def _non_empty(path: Path) -> bool:
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


def check_out(out: Path, force: bool) -> None:
    """PipelineError if ``out`` may not be written."""
    if out.exists() and not out.is_dir():
        raise PipelineError(f"{out} is a file; --out must be a folder")
    if _non_empty(out) and not force:
        raise PipelineError(f"{out} already exists and is not empty; choose another --out or add --force")


def _check_extendable(out: Path, config: PipelineConfig) -> None:
    """PipelineError unless ``out`` holds a finished run that ``config`` continues (same data, split, options)."""
    import torch

    ckpt_path = out / "checkpoint.pt"
    if not ckpt_path.exists():
        raise PipelineError(f"--extend: {out} holds no finished run (no checkpoint.pt)")
    ckpt = torch.load(ckpt_path, weights_only=False, map_location="cpu")
    fingerprint = json.loads(json.dumps(config.fingerprint(), default=str))
    try:  # runs keep their fingerprint in run.json; older ones only have the checkpoint's options to go by
        saved = json.loads((out / "run.json").read_text(encoding="utf-8"))
        saved["train"] = resumable_config(saved.get("train", {}))
        same = saved == fingerprint
    except (OSError, ValueError):
        same = (resumable_config(ckpt.get("config") or {}) == resumable_config(asdict(config.train))
                and ckpt.get("spec") == config.feature_spec().to_dict())
    if not same:
        raise PipelineError(f"--extend: the run in {out} was made with other data or options; give the same ones "
                            "(only --epochs, --patience and --threads may change)")
    done = ckpt.get("state", {}).get("epoch", 0)
    if config.train.epochs <= done:
        raise PipelineError(f"--extend: the run in {out} already has {done} epochs; ask for more with --epochs")


def _move_into_place(tmp: Path, out: Path, force: bool) -> None:
    if out.exists():
        if _non_empty(out) and not force:
            raise PipelineError(f"{out} appeared during the run; the finished run is kept in {tmp}")
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


class _Log:
    """Log lines go to the callback and, once the run folder exists, to its log.txt (appended on resume)."""

    def __init__(self, hook: Callable[[str], None] | None) -> None:
        self.hook = hook
        self.lines: list[str] = []
        self.file: Path | None = None

    def __call__(self, text: str) -> None:
        line = f"{datetime.now().strftime('%H:%M:%S')}  {text}"
        self.lines.append(line)
        if self.file is not None:
            with open(self.file, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        if self.hook:
            self.hook(text)

    def attach(self, path: Path) -> None:
        self.file = path
        with open(path, "a", encoding="utf-8") as fh:
            fh.writelines(line + "\n" for line in self.lines)

    def all_lines(self) -> list[str]:
        if self.file is not None and self.file.exists():
            return self.file.read_text(encoding="utf-8").splitlines()
        return self.lines


# ---- steps ------------------------------------------------------------------------------------------------
def _check_pretrained(train: TrainConfig, spec: FeatureSpec, n_classes: int, say) -> tuple[TrainConfig, str]:
    """Try ImageNet weights when asked; on failure say why and train from scratch."""
    if train.architecture == "musicnn_transfer":
        return replace(train, pretrained=None), musicnn_initialisation(train, spec)
    if train.distill or train.init_from:
        from genrelab.model.card import read_card

        parts = []
        if train.init_from:
            parts.append(f"weights initialised from {read_card(train.init_from).name} ({Path(train.init_from).name})")
        if train.distill:
            teacher = read_card(train.distill)
            acc = teacher.metrics.get("valid", {}).get("track_accuracy")
            parts.append(f"distilled from {teacher.name} (valid track accuracy {acc}): loss = "
                         f"{train.distill_alpha:g} x KL to its softened answers (T {train.distill_temperature:g}) "
                         f"+ {1 - train.distill_alpha:g} x cross-entropy, on its train windows"
                         + (f" and on {train.distill_views} altered views of each (another clip mixed in, "
                            f"tempo, pitch, tilt); out-of-fold answers: its LDA head refitted on the other "
                            f"{train.distill_oof - 1} of {train.distill_oof} clip folds"
                            + (f"; plus {train.distill_features:g} x the mean squared error of a linear probe "
                               f"(not exported) predicting the teacher's features on their 64 principal axes"
                               if train.distill_features else "") if train.distill_views
                            else f" (out-of-fold answers: a logistic regression on its features fitted on the other "
                            f"{train.distill_oof - 1} of {train.distill_oof} clip folds)" if train.distill_oof
                            else ""))
        return replace(train, pretrained=None), "; ".join(parts)
    if train.pretrained in (None, "none"):
        return replace(train, pretrained=None), SCRATCH
    from genrelab.model.nets import build

    try:
        build(train.architecture, spec.model_input_shape, n_classes, base_width=train.base_width,
              hidden=train.hidden, pretrained=train.pretrained)
    except Exception as exc:  # no internet, no cached weights, wrong width, an architecture without a ResNet
        say(f"note: ImageNet weights are not available ({type(exc).__name__}: {str(exc)[:120]}); "
            "training from scratch")
        return replace(train, pretrained=None), SCRATCH
    return train, "ResNet18 trunk initialised from torchvision's ImageNet weights (IMAGENET1K_V1)"


def musicnn_arch_params(train: TrainConfig, spec: FeatureSpec) -> dict:
    """The card's rebuild parameters of a musicnn transfer net (a span net: the app runs it per span)."""
    from genrelab.model.musicnn import SPAN_CONTEXT_S

    span = train.finetune == "none"  # a frozen backbone's head is fitted on span features; fine-tuning is per window
    return {"spec": spec.to_dict(), "backbone": train.backbone, "finetune": train.finetune, "span": span,
            **({"span_context_s": round(SPAN_CONTEXT_S, 6)} if span else {})}


def musicnn_initialisation(train: TrainConfig, spec: FeatureSpec) -> str:
    """The card's words for a musicnn transfer model: what it stands on, its licence, what was trained."""
    from genrelab.model.musicnn import SPAN_CONTEXT_S
    from training.musicnn_transfer import load_offsets

    data = {"msd": "the Million Song Dataset (MSD_musicnn)", "mtt": "MagnaTagATune (MTT_musicnn)"}[train.backbone]
    _, calibration = load_offsets(spec, span=train.finetune == "none")
    trained = ("backbone frozen, only the head trained" if train.finetune == "none"
               else f"backbone layers from {train.finetune} up fine-tuned, with the head")
    return (f"musicnn pretrained on {data} (weights from the musicnn package by Jordi Pons / MTG-UPF, ISC "
            f"licence), {trained}; adapter from this model's Mel columns to musicnn's 96-band input inside the "
            f"graph, its level calibrated on {calibration}"
            + (f"; musicnn's front and mid end run once over each span of the track (up to 60 s, with "
               f"{SPAN_CONTEXT_S:.2f} s of context each side), only the pooling and the head per 3-s window"
               if train.finetune == "none" else "; each 3-s window runs through the whole network on its own"))


def _parity_inputs(clips: list[Clip], spec: FeatureSpec) -> np.ndarray:
    index = all_windows(clips, spec, 1.0)
    if len(index) > PARITY_MAX_WINDOWS:
        pick = np.linspace(0, len(index) - 1, PARITY_MAX_WINDOWS).round().astype(int)
        index = [index[i] for i in pick]
    return batch_inputs(clips, index, spec)


def _onnx_speed(model_path: Path, clips: list[Clip], batch: int = 64, repeats: int = 3) -> float:
    """Windows per second of ONNX Runtime on CPU at ``batch`` (best of ``repeats``), on real windows."""
    from genrelab.bench import best_time
    from genrelab.model.engine import OnnxEngine

    engine = OnnxEngine(model_path, device="cpu")
    x = _parity_inputs(clips, engine.card.spec)[:batch]
    engine.predict(x)  # warm-up
    return len(x) / best_time(lambda: engine.predict(x), repeats)


def _quantize(model_path: Path, clips: list[Clip], float_track: float, part: str, say) -> dict[str, Any]:
    """int8 dynamic quantisation; kept (model.int8.onnx) only if track accuracy drops <= 1 point."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = model_path.with_name("model.int8.onnx")
    quiet = logging.getLogger()
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # onnxruntime's quantiser logs advice on the root logger
    try:
        quantize_dynamic(model_path, target, weight_type=QuantType.QInt8)
    finally:
        quiet.setLevel(level)
    src, dst = onnx.load(str(model_path)), onnx.load(str(target))
    have = {p.key for p in dst.metadata_props}
    for prop in src.metadata_props:  # the card must travel with the quantised model too
        if prop.key not in have:
            entry = dst.metadata_props.add()
            entry.key, entry.value = prop.key, prop.value
    onnx.save(dst, str(target))
    ev = evaluate_model(target, clips)
    kept = float_track - ev.track.accuracy <= QUANT_MAX_DROP + 1e-9
    speed = {name: _onnx_speed(path, clips) for name, path in
             (("float", model_path), ("int8", target))}
    info = {"size_mb": target.stat().st_size / 1e6, "track_accuracy": ev.track.accuracy,
            "window_accuracy": ev.window.accuracy, "float_track_accuracy": float_track, "part": part, "kept": kept,
            "windows_per_s": speed}
    slower = " (slower than float: worth it only where size matters)" if speed["int8"] < speed["float"] else ""
    say(f"int8: track accuracy {ev.track.accuracy:.3f} vs {float_track:.3f} float on {part}: "
        f"{'kept' if kept else 'discarded'}; ONNX Runtime {speed['int8']:.0f} vs {speed['float']:.0f} windows/s "
        f"at batch 64{slower}")
    if not kept:
        target.unlink()
    return info


def _card(config: PipelineConfig, spec: FeatureSpec, train: TrainConfig, dataset: datasets.Dataset,
          split: splits.Split, sizes: dict[str, int], fitted: FitResult, evaluations: dict[str, Evaluation],
          initialisation: str, date: str):
    import onnxruntime
    import torch

    import genrelab
    from genrelab.model.card import ModelCard

    data = dataset.describe()
    if dataset.kind == "images":
        data += ("; GTZAN Mel-spectrogram images (librosa specshow, magma, 387x385 px) decoded to dB by "
                 "training.imageset")
    name = config.name or (f"{ARCH_NAMES.get(train.architecture, train.architecture)} {spec.kind} ({spec.image}) "
                           f"on {Path(config.data).name}")
    optimiser = (f"AdamW lr {train.lr:g} weight decay {train.weight_decay:g}, batch {train.batch_size}, "
                 f"ReduceLROnPlateau x0.5 after 4 epochs")
    windows = (f"{train.windows_per_clip} random non-overlapping {spec.window_s:g}-s windows per clip"
               f"{' (fixed)' if train.fixed_windows else ' (new every epoch)'}")
    if train.architecture == "musicnn_transfer" and train.finetune == "none":
        hop = train.train_hop_s or (spec.window_s / 2 if "shift" in train.augment else spec.window_s)
        windows = (f"a {spec.window_s:g}-s window every {hop:g} s of each clip, pooled from one pass of the "
                   "frozen backbone over the whole clip (features computed once)")
        if train.hidden == 0:
            from training.musicnn_transfer import LINEAR_C, OOF_FOLDS

            optimiser = ("linear head on standardised features: scikit-learn "
                         + ("LinearDiscriminantAnalysis (lsqr, Ledoit-Wolf shrinkage; nothing chosen on valid)"
                            if train.linear_head == "lda" else
                            "LogisticRegression (lbfgs, L2), C chosen on valid track accuracy from "
                            + ", ".join(f"{c:g}" for c in LINEAR_C))
                         + f"; softmax temperature fitted out-of-fold ({OOF_FOLDS} clip folds of train)")
        else:
            optimiser = f"head only: {optimiser}, label smoothing 0.1"
    provenance = {
        "command": config.command or "training.pipeline.run",
        "seed": train.seed,
        "date": date,
        "cpu_seconds": round(fitted.cpu_seconds, 1),
        "train_seconds": round(fitted.train_seconds, 1),
        "epochs": f"{len(fitted.history)} run, best {fitted.best_epoch} ({fitted.stopped})",
        "optimiser": optimiser,
        "windows": windows,
        "augmentation": ", ".join(train.augment) or "none",
        "initialisation": initialisation,
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "genrelab": genrelab.__version__,
        "platform": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        **({"distributed": distributed.describe()} if distributed.describe() else {}),
    }
    return ModelCard(
        name=name, labels=list(dataset.labels), spec=spec,
        arch_params={"architecture": train.architecture, "input_shape": list(spec.model_input_shape),
                     "n_classes": len(dataset.labels), "base_width": train.base_width, "hidden": train.hidden,
                     **(musicnn_arch_params(train, spec) if train.architecture == "musicnn_transfer" else {})},
        metrics={part: ev.card_metrics() for part, ev in evaluations.items()},
        data=data,
        split=f"{split.description}; clips: " + ", ".join(f"{k} {v}" for k, v in sizes.items() if v),
        provenance=provenance,
        notes=" ".join(filter(None, [
            config.notes, f"Initialisation: {initialisation}.", "Window accuracy is per 3-s window (the paper's "
            "measure); track accuracy averages a clip's window probabilities."])),
    )


def _train_one(config: PipelineConfig, spec: FeatureSpec, train: TrainConfig, initialisation: str,
               dataset: datasets.Dataset, split: splits.Split, folder: Path, cb: Callbacks, say) -> FoldResult | None:
    from genrelab.model.export import OPSET, export_onnx, parity

    parts = {side: dataset.clips_of(ix) for side, ix in split.sides().items()}
    sizes = {side: len(c) for side, c in parts.items()}
    for side in ("train", "valid"):
        if not parts[side]:
            raise splits.SplitError(f"split {split.name}: no decodable clip on the {side} side")
    say(f"split {split.name}{f' fold {split.fold}' if split.fold else ''}: "
        + ", ".join(f"{k} {v}" for k, v in sizes.items()) + " clips")
    folder.mkdir(parents=True, exist_ok=True)
    fitted = fit(parts["train"], parts["valid"], spec, dataset.labels, train, folder, on_batch=cb.on_batch,
                 on_epoch=cb.on_epoch, cancel=cb.cancel, log=say)
    if not distributed.is_main():
        return None
    net = fitted.net
    evaluations = {}
    for part in ("valid", "test"):
        if parts[part]:
            ev = evaluate_net(net, parts[part], spec, dataset.labels, hop_s=train.eval_hop_s)
            evaluations[part] = ev
            say(f"{part}: window accuracy {ev.window.accuracy:.3f} F1 {ev.window.f1:.3f} | track accuracy "
                f"{ev.track.accuracy:.3f} F1 {ev.track.f1:.3f} ({ev.n_clips} clips, {ev.n_windows} windows)")
    if getattr(net, "embed_cache", None) is not None:
        net.embed_cache = None  # a training-time shortcut; the exported graph computes everything
    date = datetime.now(timezone.utc).isoformat(timespec="seconds")
    card = _card(config, spec, train, dataset, split, sizes, fitted, evaluations, initialisation, date)
    model_path = export_onnx(net, card, folder / "model.onnx")
    os.chmod(model_path, 0o644)  # export writes through mkstemp (0600): a model is meant to be shared
    check_part = "test" if parts["test"] else "valid"
    inputs = _parity_inputs(parts[check_part], spec)
    diff = parity(model_path, net, inputs)
    ok = diff <= PARITY_LIMIT
    say(f"ONNX Runtime vs torch on {len(inputs)} {check_part} windows: max |diff| {diff:.2e} "
        f"({'OK' if ok else 'FAILED'})")
    export = {"size_mb": model_path.stat().st_size / 1e6, "opset": OPSET, "parity": diff, "parity_ok": ok,
              "parity_windows": len(inputs), "parity_part": check_part}
    if config.quantize:
        export["int8"] = _quantize(model_path, parts[check_part], evaluations[check_part].track.accuracy,
                                   check_part, say)
    speeds = [h.windows_per_s for h in fitted.history] or [0.0]
    wps = statistics.median(speeds)
    say(f"training speed: {wps:.1f} windows/s (median over {len(fitted.history)} epochs, batch {train.batch_size})")
    n_params = sum(p.numel() for p in net.parameters())
    rep = RunReport(
        title=card.name, command=config.command or "training.pipeline.run", date=date, data=card.data,
        genre_counts={g: sum(c.label == g for c in parts["train"] + parts["valid"] + parts["test"])
                      for g in dataset.labels},
        skipped=[(str(p), why) for p, why in dataset.skipped], split=split.to_dict() | {"sizes": sizes},
        spec=spec.to_dict(), train=asdict(train) | {"augment": list(train.augment)},
        model={"parameters": n_params, "input_shape": "x".join(map(str, spec.model_input_shape)),
               "initialisation": initialisation, "optimiser": card.provenance["optimiser"],
               "windows": card.provenance["windows"]},
        history=[asdict(h) for h in fitted.history], best_epoch=fitted.best_epoch, stopped=fitted.stopped,
        evaluations=evaluations, export=export,
        speed={"windows_per_s": wps, "threads": train.threads or os.cpu_count(),
               "train_seconds": fitted.train_seconds, "cpu_seconds": fitted.cpu_seconds},
        notes=[n for n in [config.notes, *split.warnings] if n],
    )
    write_run(folder, rep, config.to_dict() | {"spec": spec.to_dict()}, say.all_lines(),
              extra_metrics={"card": json.loads(card.to_json())})
    if not ok:
        say(f"warning: ONNX Runtime and torch disagree by {diff:.2e} (> {PARITY_LIMIT:g})")
    return FoldResult(folder, model_path, fitted, evaluations, diff,
                      export.get("int8", {}).get("kept") if config.quantize else None, wps)


def _write_kfold_summary(folder: Path, config: PipelineConfig, folds: list[FoldResult], say) -> None:
    rows = []
    for f in folds:
        ev = f.evaluations["valid"]
        rows.append((ev.window.accuracy, ev.window.f1, ev.track.accuracy, ev.track.f1))
    arr = np.array(rows)
    mean, std = arr.mean(axis=0), arr.std(axis=0)
    lines = [f"# {len(folds)}-fold cross-validation by song", "", f"- Command: `{config.command}`",
             f"- Data: {config.data}", "", "| Fold | Window acc | Window F1 | Track acc | Track F1 |", "|---|---|---|---|---|"]
    lines += [f"| {i} | " + " | ".join(f"{x:.3f}" for x in r) + " |" for i, r in enumerate(rows, start=1)]
    lines.append("| mean ± std | " + " | ".join(f"{m:.3f} ± {s:.3f}" for m, s in zip(mean, std, strict=True)) + " |")
    lines += ["", "Each fold's folder holds its model, report, curves and confusion matrices."]
    (folder / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    keys = ("window_accuracy", "window_f1", "track_accuracy", "track_f1")
    (folder / "metrics.json").write_text(json.dumps({
        "folds": [dict(zip(keys, r, strict=True)) for r in rows],
        "mean": dict(zip(keys, mean.tolist(), strict=True)), "std": dict(zip(keys, std.tolist(), strict=True)),
    }, indent=1), encoding="utf-8")
    (folder / "config.toml").write_text(to_toml(config.to_dict()), encoding="utf-8")
    say("k-fold mean: " + ", ".join(f"{k} {m:.3f} ± {s:.3f}" for k, m, s in zip(keys, mean, std, strict=True)))


# ---- the entry point ----------------------------------------------------------------------------------------
def load_data(config: PipelineConfig, spec: FeatureSpec, cb: Callbacks, say) -> tuple[datasets.Dataset, list]:
    """Scan the data, make the split(s), decode what they use (errors here leave nothing behind)."""
    entries, ignored = datasets.scan(config.data, images=config.images)
    folds = splits.make_splits(config.split, entries, data_root=config.data, allow_missing=config.allow_missing)
    for split in folds:
        for w in split.warnings:
            say(f"note: {w}")
    use = sorted(set().union(*(s.used() for s in folds)))
    say(f"{len(entries)} files in {len({e.label for e in entries})} genres under {config.data}; decoding {len(use)}")
    progress = (lambda f, m: report(cb.progress, 0.1 * f, m)) if cb.progress else None
    if config.images:
        dataset = datasets.load_image_entries(config.data, entries, use, spec, cache_dir=config.cache_dir,
                                              ignored=ignored, progress=progress, cancel=cb.cancel)
    else:
        dataset = datasets.load_entries(config.data, entries, use, spec, cache_dir=config.cache_dir,
                                        workers=config.workers, ignored=ignored, progress=progress,
                                        cancel=cb.cancel)
    say(f"features: {dataset.decoded} decoded, {dataset.cached} from the cache, {len(dataset.skipped)} skipped "
        f"({dataset.seconds:.1f} s)")
    for path, why in dataset.skipped:
        say(f"skipped {path}: {why}")
    for split in folds:  # a split side may have lost all its clips to unreadable files
        for side in ("train", "valid"):
            if not dataset.clips_of(split.sides()[side]):
                raise splits.SplitError(f"split {split.name}: no decodable clip on the {side} side")
    return dataset, folds


def run(config: PipelineConfig, callbacks: Callbacks | None = None) -> RunResult:
    """Train, evaluate, export and report one configuration (all folds of a k-fold split).

    Raises GenreLabError subclasses with one-line messages for bad input (before anything is written) and
    Cancelled when ``callbacks.cancel`` is set (the partial run is kept; the same call resumes it).
    """
    cb = callbacks or Callbacks()
    out = Path(config.out).resolve()
    config = replace(config, out=out, data=Path(config.data))
    say = _Log(cb.log)
    main = distributed.is_main()
    if not main:  # under torchrun: process 0 reports and writes files, the others train quietly
        cb, say = Callbacks(cancel=cb.cancel), _Log(None)
    spec = config.feature_spec()
    if config.extend:
        _check_extendable(out, config)
    else:
        check_out(out, config.force)
    t0 = time.perf_counter()
    dataset, folds = load_data(config, spec, cb, say)
    train, initialisation = _check_pretrained(config.train, spec, len(dataset.labels), say)

    tmp = partial_dir(out)
    stamp = tmp / "run.json"
    fingerprint = json.loads(json.dumps(config.fingerprint(), default=str))
    if config.extend and len(folds) > 1:
        raise PipelineError("--extend continues single-split runs, not k-fold ones")
    if main and config.extend and not tmp.exists():
        say(f"extending the finished run in {out} to {config.train.epochs} epochs")
        shutil.copytree(out, tmp)
        stamp.write_text(json.dumps(fingerprint, indent=1), encoding="utf-8")  # same, bar the stopping fields
    if main and tmp.exists():
        try:
            saved = json.loads(stamp.read_text(encoding="utf-8"))
            saved["train"] = resumable_config(saved.get("train", {}))
            same = saved == fingerprint
        except (OSError, ValueError):
            same = False
        if not same:
            say(f"removing an unfinished run of another configuration in {tmp}")
            shutil.rmtree(tmp)
        else:
            say(f"resuming the unfinished run in {tmp}")
    if main:
        tmp.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps(fingerprint, indent=1), encoding="utf-8")
        say.attach(tmp / "log.txt")
    distributed.barrier()  # the others look for a checkpoint only once process 0 has set the folder up
    if distributed.describe():
        say(distributed.describe())

    results = []
    try:
        for k, split in enumerate(folds):
            folder = tmp if len(folds) == 1 else tmp / f"fold{split.fold}"
            fold_cb = cb
            if cb.progress:
                span = (0.1 + 0.9 * k / len(folds), 0.9 / len(folds))
                fold_cb = replace(cb, on_epoch=_epoch_progress(cb, train.epochs, span))
            results.append(_train_one(config, spec, train, initialisation, dataset, split, folder, fold_cb, say))
        if len(folds) > 1 and main:
            _write_kfold_summary(tmp, config, results, say)
    except Cancelled:
        say(f"cancelled: the checkpoint is kept in {tmp}; run the same command again to resume")
        raise
    if not main:
        return RunResult(out, [], dataset, list(dataset.skipped))
    say(f"finished in {time.perf_counter() - t0:.0f} s; writing {out}")  # run.json stays: --extend checks it
    (tmp / "log.txt").write_text("\n".join(say.all_lines()) + "\n", encoding="utf-8")
    _move_into_place(tmp, out, config.force or config.extend)
    for r in results:  # the paths now live under out
        rel = r.folder.relative_to(tmp)
        r.folder = out / rel
        r.model_path = r.folder / "model.onnx"
    report(cb.progress, 1.0, "done")
    return RunResult(out, results, dataset, list(dataset.skipped))


def _epoch_progress(cb: Callbacks, epochs: int, span: tuple[float, float]):
    def on_epoch(stats: EpochStats) -> None:
        report(cb.progress, span[0] + span[1] * stats.epoch / max(epochs, 1), f"epoch {stats.epoch}")
        if cb.on_epoch:
            cb.on_epoch(stats)

    return on_epoch
