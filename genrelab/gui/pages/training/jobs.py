"""What the Training page runs in workers (no Qt here): the dataset summary, the run, a finished run's files,
and installing a run's model.

The page builds its options as the arguments of ``genrelab train`` and turns them into a
:class:`training.pipeline.PipelineConfig` with the CLI's own parser and converter, so the command the page
shows is exactly what it runs, and the run goes through :func:`training.pipeline.run` like the CLI's.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genrelab.errors import GenreLabError
from genrelab.progress import CancelToken, ProgressFn, check_cancel, report

WINDOW_S = 3.0


# ---- presets -------------------------------------------------------------------------------------------------
#: ``--augment`` values (the trainer checks them too).
AUGMENTATIONS = ("specaugment", "mixup", "gain", "shift")
GTZAN_STRIDE = 1293 / 387.5  # genrelab.dsp.GTZAN_IMAGE_STRIDE (not imported here: the GUI thread stays light)


@dataclass(frozen=True)
class Preset:
    """Option values a preset sets (anything left out keeps its current value)."""

    name: str
    tip: str
    values: dict = field(default_factory=dict)


PRESETS = (
    Preset("Quick demo (minutes)",
           "a small ResNet-BiGRU (width 16, GRU 64) on narrow Mel windows, 15 epochs: a generated 4-class set "
           "(genrelab synth) trains in well under a minute on 2 cores and classifies new clips right",
           dict(split="paper", arch="resnet_bigru", input="mel", image="native", epochs=15, patience=5,
                batch_size=16, lr=2e-3, width=16, hidden=64, frame_stride=round(GTZAN_STRIDE, 4),
                fixed_windows=False, augment=())),
    Preset("Paper reproduction",
           "the paper's experiment: ResNet18 + Bi-GRU on its 224x224 Mel image, GroupShuffleSplit by song, "
           "batch 32, lr 1e-3, up to 100 epochs (hours on a CPU)",
           dict(split="paper", arch="resnet_bigru", input="mel", image="paper", epochs=100, patience=10,
                batch_size=32, lr=1e-3, width=64, hidden=256, frame_stride=0.0, fixed_windows=True, augment=())),
    Preset("Transfer (musicnn, frozen)",
           "for your own music (~50 clips per genre): musicnn, pretrained on the Million Song Dataset, stays frozen "
           "and a linear head (a logistic regression on its features) learns your genres. The features are computed "
           "once (about 1 minute per 3 minutes of music on a CPU, kept for the next run), then the head fits in "
           "seconds; epochs and learning rate do not matter for it",
           dict(split="paper", arch="musicnn_transfer", input="mel", image="native", backbone="msd",
                finetune="none", head=0, frame_stride=round(GTZAN_STRIDE, 4), eval_hop=3.0, fixed_windows=False,
                augment=())),
)


def preset_argv(name: str, data: str | Path, out: str | Path) -> list[str]:
    """``genrelab train`` arguments of preset ``name`` on ``data`` into ``out`` (as the page builds them)."""
    v = next(p for p in PRESETS if p.name == name).values
    argv = ["--data", str(data), "--split", v["split"], "--arch", v["arch"], "--input", v["input"],
            "--image", v["image"]]
    for key in ("epochs", "patience", "batch_size", "lr"):
        if key in v:
            argv += [f"--{key.replace('_', '-')}", f"{v[key]:g}"]
    if v["arch"] == "musicnn_transfer":
        argv += ["--backbone", v["backbone"], "--finetune", v["finetune"], "--hidden", str(v["head"])]
    else:
        argv += ["--width", str(v["width"]), "--hidden", str(v["hidden"])]
    if v.get("frame_stride"):
        argv += ["--frame-stride", f"{v['frame_stride']:g}"]
    if v.get("fixed_windows"):
        argv.append("--fixed-windows")
    if v.get("eval_hop", 1.0) != 1.0:
        argv += ["--eval-hop", f"{v['eval_hop']:g}"]
    if v.get("augment"):
        argv += ["--augment", ",".join(v["augment"])]
    return argv + ["--out", str(out)]


# ---- can this install train? ----------------------------------------------------------------------------------
def training_unavailable() -> str:
    """Why this install cannot train ("" when it can): the frozen app and installs without torch."""
    import importlib.util

    how = ("Training needs GenreLab installed from source in a Python environment with the `train` extra: "
           "`packaging/bootstrap.sh test` (or `pip install -e '.[train]'`), then `genrelab` or `genrelab train`.")
    if getattr(sys, "frozen", False):
        return "This is the packaged app, which analyses with ONNX Runtime and has no torch. " + how
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("training") is None:
        return "torch (or the training package) is not installed here. " + how
    return ""


# ---- the dataset summary --------------------------------------------------------------------------------------
@dataclass
class DatasetSummary:
    """What a dataset folder holds, found without decoding the audio (headers only)."""

    folder: Path
    images: bool
    counts: dict[str, int]
    seconds: float
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    short: list[str] = field(default_factory=list)
    ignored: int = 0
    splits: list[str] = field(default_factory=list)
    split_notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        """The summary as a few lines for people."""
        what = "spectrogram images" if self.images else "audio files"
        length = f", about {_duration(self.seconds)} of 30-s clips" if self.images else \
            f", {_duration(self.seconds)} in all"
        out = [f"{self.total} {what} in {len(self.counts)} classes" + (length if self.seconds else "")]
        out.append("Clips per class: " + ", ".join(f"{k} {v}" for k, v in self.counts.items()))
        small = [k for k, v in self.counts.items() if v < 5]
        if small:
            out.append(f"Few clips in {', '.join(small)}: a split by song needs at least 5 per class to validate")
        if self.unreadable:
            out.append(f"{len(self.unreadable)} unreadable file(s), skipped by training:")
            out += [f"  {name}: {why}" for name, why in self.unreadable[:20]]
            if len(self.unreadable) > 20:
                out.append(f"  ... and {len(self.unreadable) - 20} more")
        if self.short:
            out.append(f"{len(self.short)} file(s) shorter than one {WINDOW_S:g}-s window (skipped): "
                       + ", ".join(self.short[:5]) + (", ..." if len(self.short) > 5 else ""))
        if self.ignored:
            out.append(f"{self.ignored} other file(s) ignored (not {what})")
        out += self.split_notes
        return out


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h} h {rest // 60:02d} min" if h else f"{rest // 60} min {rest % 60:02d} s"


def _find_split_lists(folder: Path) -> tuple[list[str], list[str]]:
    """Split choices the folder offers beyond ``paper`` and ``kfold`` (``filtered``, ``lists:DIR``) and notes."""
    from training import splits

    found, notes, where = [], [], None
    try:
        where = splits.filtered_lists_dir(folder)
        found.append("filtered")
        notes.append(f"Artist-filtered split lists found in {where}")
    except splits.SplitError:
        pass
    for candidate in (folder / "splits", folder.parent / "splits"):
        if where is not None and candidate.resolve() == where.resolve():
            continue
        try:
            lists = splits.find_lists(candidate)
        except splits.SplitError:
            continue
        choice = f"lists:{candidate}"
        if choice not in found:
            found.append(choice)
            notes.append(f"Split lists in {candidate}: {', '.join(p.name for p in lists.values())}")
    if not found:
        notes.append("No split lists found: the paper's split by song (80/20) or k-fold will be used")
    return found, notes


def summarise_dataset(folder: str | Path, images: bool = False, progress: ProgressFn | None = None,
                      cancel: CancelToken | None = None) -> DatasetSummary:
    """Scan a folder-per-class dataset: classes, clips per class, total duration, unreadable files, split lists.

    A folder with no audio but Mel images is summarised as images (``summary.images``). Raises DatasetError (one line) for a folder training cannot use (missing, empty, one class...).
    """
    from training import datasets

    folder = Path(folder)
    try:
        entries, ignored = datasets.scan(folder, images=images)
    except datasets.DatasetError:
        if images:
            raise
        try:  # a folder of GTZAN-style Mel images is recognised as such
            entries, ignored = datasets.scan(folder, images=True)
        except datasets.DatasetError:
            raise_original = True
        else:
            raise_original, images = False, True
        if raise_original:
            raise
    counts = Counter(e.label for e in entries)
    seconds, unreadable, short = 0.0, [], []
    for i, entry in enumerate(entries):
        check_cancel(cancel)
        if i % 8 == 0:
            report(progress, i / len(entries), f"reading {entry.path.name}")
        name = str(entry.path.relative_to(folder))
        if images:
            ok = entry.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" if entry.path.stat().st_size else False
            if ok:
                seconds += 30.0
            else:
                unreadable.append((name, "not a PNG image"))
            continue
        try:
            from genrelab.audio import probe

            info = probe(entry.path)
        except GenreLabError as exc:
            unreadable.append((name, str(exc).replace(str(entry.path), "").strip(" :") or "cannot be decoded"))
            continue
        except Exception as exc:  # noqa: BLE001 - any decoder failure is a reason, not a crash
            unreadable.append((name, f"{type(exc).__name__}: {exc}".splitlines()[0]))
            continue
        seconds += info.duration_s
        if info.duration_s < WINDOW_S:
            short.append(name)
    found, notes = _find_split_lists(folder)
    report(progress, 1.0, "")
    return DatasetSummary(folder, images, dict(sorted(counts.items())), seconds, unreadable, short, ignored,
                          found, notes)


# ---- options <-> the command line ----------------------------------------------------------------------------
def architectures() -> tuple[str, ...]:
    """The architectures ``genrelab train --arch`` accepts (read from the CLI's parser, not copied)."""
    parser = _train_parser()
    for action in parser._actions:  # noqa: SLF001 - argparse keeps its choices there
        if action.dest == "arch" and action.choices:
            return tuple(action.choices)
    return ("resnet_bigru",)


def _train_parser():  # noqa: ANN202 - argparse.ArgumentParser
    import argparse

    from genrelab.cli import COMMANDS, _load_plugins

    _load_plugins()
    if "train" not in COMMANDS:
        raise GenreLabError("the `train` command is not installed here (needs the `train` extra)")
    parser = argparse.ArgumentParser(prog="genrelab train", exit_on_error=False)
    COMMANDS["train"][1](parser)
    return parser


def command_line(argv: list[str]) -> str:
    """The shell command for ``genrelab train ARGV``."""
    return "genrelab train " + " ".join(shlex.quote(a) for a in argv)


def parse_arguments(argv: list[str]):  # noqa: ANN201 - argparse.Namespace
    """``genrelab train ARGV`` parsed by the CLI's parser (light: no torch); GenreLabError for bad options."""
    import argparse

    parser = _train_parser()
    try:
        args, extra = parser.parse_known_args(argv)
    except (argparse.ArgumentError, SystemExit) as exc:
        raise GenreLabError(f"bad training option: {exc}") from None
    if extra:
        raise GenreLabError(f"unknown training option(s): {' '.join(extra)}")
    from genrelab.cli_train import check_train_options

    check_train_options(args)  # combinations that cannot work: the CLI's own one-line refusal
    if args.out is None:
        raise GenreLabError("choose an output folder")
    return args


def pipeline_config(argv: list[str]):  # noqa: ANN201 - training.pipeline.PipelineConfig
    """The PipelineConfig ``genrelab train ARGV`` would run (GenreLabError with one line for bad options)."""
    from genrelab import cli_train

    args = parse_arguments(argv)
    config = cli_train._pipeline_config(args, args.arch, args.input, args.out)  # noqa: SLF001 - the CLI's own
    config.command = command_line(argv)
    return config


# ---- the run ------------------------------------------------------------------------------------------------
def run_training(argv: list[str], hooks: dict[str, Any], progress: ProgressFn, cancel: CancelToken):
    """Run ``genrelab train ARGV`` through :func:`training.pipeline.run` (returns its RunResult).

    ``hooks`` may hold ``on_batch``, ``on_epoch`` and ``log`` callables (called on this worker's thread).
    """
    from training.pipeline import Callbacks, run

    config = pipeline_config(argv)
    callbacks = Callbacks(progress=progress, on_batch=hooks.get("on_batch"), on_epoch=hooks.get("on_epoch"),
                          log=hooks.get("log"), cancel=cancel)
    return run(config, callbacks)


def partial_folder(out: str | Path) -> Path:
    """Where an unfinished run of ``out`` keeps its checkpoint (``.<name>.partial`` beside it)."""
    out = Path(out).resolve()
    return out.parent / f".{out.name}.partial"


# ---- a finished run's files -----------------------------------------------------------------------------------
@dataclass
class RunFiles:
    """A run folder as the page shows it: history, evaluations, report, log."""

    folder: Path
    title: str
    history: list[dict[str, Any]]
    best_epoch: int
    evaluations: dict[str, dict[str, Any]]
    labels: list[str]
    architecture: str
    kind: str
    split: str
    report_md: str
    log: str
    model: Path | None
    card: dict[str, Any]


def read_run(folder: str | Path) -> RunFiles:
    """Read a finished run folder (metrics.json, report.md, log.txt); GenreLabError if it is not one.

    A k-fold run's folder shows its first fold's curves, results and model, after the folds' summary report.
    """
    folder = Path(folder)
    metrics_path = folder / "metrics.json"
    folds = sorted(folder.glob("fold*/metrics.json"), key=lambda p: int(p.parent.name[4:] or 0)
                   if p.parent.name[4:].isdigit() else 0)
    if folds:  # k-fold: the summary is in the folder, each fold's run in foldN/
        metrics_path = folds[0]
    elif not metrics_path.is_file():
        raise GenreLabError(f"{folder}: not a finished training run (no metrics.json)")
    run_folder = metrics_path.parent
    try:
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GenreLabError(f"{metrics_path}: cannot be read ({exc})") from None
    evaluations = metrics.get("evaluations") or {}
    labels = next((ev.get("labels") for ev in evaluations.values() if ev.get("labels")), None) \
        or metrics.get("card", {}).get("labels") or list(metrics.get("genre_counts", {}))

    def text(name: str) -> str:
        path = run_folder / name
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""

    model = run_folder / "model.onnx"
    report_md, title = text("report.md"), metrics.get("title", run_folder.name)
    if folds:
        summary = folder / "report.md"
        report_md = (summary.read_text(encoding="utf-8", errors="replace") if summary.is_file() else "") + \
            f"\n\n---\n\n*Below: {run_folder.name}, shown in the curves and results.*\n\n" + report_md
        title += f" ({run_folder.name} of {len(folds)})"
    log = (folder / "log.txt") if (folder / "log.txt").is_file() else run_folder / "log.txt"
    return RunFiles(run_folder, title, metrics.get("history", []),
                    int(metrics.get("best_epoch", 0)), evaluations, list(labels),
                    metrics.get("train", {}).get("architecture", ""), metrics.get("spec", {}).get("kind", "mel"),
                    metrics.get("split", {}).get("name", ""), report_md,
                    log.read_text(encoding="utf-8", errors="replace") if log.is_file() else "",
                    model if model.is_file() else None, metrics.get("card", {}))


def paper_numbers(architecture: str, kind: str, split: str, labels: list[str]) -> dict[str, float] | None:
    """The paper's segment-level accuracy (and Mel P/R/F1) for a comparable run: the same architecture and
    input on the ten GTZAN genres with the paper's split; None otherwise."""
    from genrelab.model.card import GTZAN_GENRES
    from training.report import PAPER_RESULTS

    paper = PAPER_RESULTS.get(architecture)
    if paper is None or split != "paper" or kind not in paper or sorted(labels) != sorted(GTZAN_GENRES):
        return None
    out = {"accuracy": float(paper[kind])}
    if kind == "mel" and "mel_prf" in paper:
        out.update(zip(("precision", "recall", "f1"), map(float, paper["mel_prf"]), strict=True))
    return out


# ---- using a run's model --------------------------------------------------------------------------------------
def model_target(run_folder: str | Path, models_dir: str | Path) -> Path:
    """Where "Use this model" puts a run's model: ``<models>/<run folder name>.onnx`` (``<run>-foldN.onnx`` for a
    k-fold run's fold)."""
    run_folder = Path(run_folder)
    name = run_folder.name
    if name.startswith("fold") and name[4:].isdigit():
        name = f"{run_folder.parent.name}-{name}"
    return Path(models_dir) / f"{name}.onnx"


def free_name(target: Path) -> Path:
    """``target`` or, if taken, ``name-2.onnx``, ``name-3.onnx``..."""
    n = 2
    candidate = target
    while candidate.exists():
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
        n += 1
    return candidate


def install_model(model: str | Path, target: str | Path, replace: bool = False) -> Path:
    """Copy ``model`` to ``target`` (its folder is made); never over an existing file unless ``replace``."""
    model, target = Path(model), Path(target)
    if not model.is_file():
        raise GenreLabError(f"{model}: the run's model is missing")
    if target.exists() and not replace:
        raise GenreLabError(f"{target} already exists")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        shutil.copyfile(model, tmp)
        tmp.replace(target)
    except OSError as exc:
        raise GenreLabError(f"cannot copy the model to {target} ({exc.strerror or exc})") from None
    return target
