"""Training sub-commands: ``genrelab train``, ``experiment``, ``evaluate`` and ``synth`` (need the `train` extra).

Imported by :func:`genrelab.cli._load_plugins`; every command calls into :mod:`training` (the pipeline is the
one entry point). Ctrl-C cancels cleanly between batches: the checkpoint is kept and the same command resumes.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from genrelab.cli import command
from genrelab.errors import Cancelled, GenreLabError

ARCHS = ("cnn", "bigru", "resnet18", "resnet_bigru")
#: --arch also takes these (single runs only, not the paper grid); dashes or underscores
EXTRA_ARCHS = ("musicnn_transfer",)


# ---- shared options --------------------------------------------------------------------------------------
def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, required=True, help="dataset folder: one sub-folder per genre")
    p.add_argument("--images", action="store_true", help="the data are GTZAN-style Mel-spectrogram PNGs, not audio")
    p.add_argument("--allow-missing", action="store_true",
                   help="clips named in split lists but missing from the data are a warning, not an error")
    p.add_argument("--cache", type=Path, default=None, help="feature cache folder (default: the user cache)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the feature cache")
    p.add_argument("--workers", type=int, default=2, help="decoding processes (default 2)")


def _add_train_options(p: argparse.ArgumentParser, *, grid: bool = False) -> None:
    _add_data_options(p)
    p.add_argument("--split", default="paper", help="paper | filtered | lists:DIR | kfold:K[:I] (default paper)")
    if not grid:
        p.add_argument("--arch", type=lambda s: s.replace("-", "_"), choices=ARCHS + EXTRA_ARCHS,
                       default="resnet_bigru", help="architecture (default resnet_bigru; musicnn-transfer: a head "
                       "on the pretrained musicnn network)")
        p.add_argument("--backbone", choices=("msd", "mtt"), default=None,  # None: not given
                       help="musicnn-transfer: musicnn pretrained on the Million Song Dataset (msd) or "
                            "MagnaTagATune (mtt) (default msd)")
        p.add_argument("--finetune", choices=("none", "frontend", "midend1", "midend2", "midend3", "backend"),
                       default=None, help="musicnn-transfer: train this backbone layer and those above it "
                       "(default none: frozen backbone, its features computed once)")
        p.add_argument("--linear-head", choices=("lda", "logreg"), default="lda",
                       help="musicnn-transfer with --hidden 0: how the linear head is fitted: lda = shrinkage "
                            "linear discriminant analysis (Ledoit-Wolf, nothing chosen on valid; default) or logreg "
                            "= logistic regression, its C chosen on valid track accuracy; both then softened by a "
                            "temperature fitted out-of-fold on the train clips")
        p.add_argument("--train-hop", type=float, default=None, metavar="SECONDS",
                       help="musicnn-transfer, frozen: seconds between training windows (default: the window "
                            "length, or half of it with --augment shift)")
        p.add_argument("--distill", type=Path, default=None, metavar="MODEL",
                       help="distil a musicnn-transfer model (its model.onnx) into this one: soft targets on its "
                            "train windows")
        p.add_argument("--distill-alpha", type=float, default=0.7,
                       help="weight of the teacher's soft targets in the loss (default 0.7)")
        p.add_argument("--distill-temperature", type=float, default=2.0, help="softening temperature (default 2)")
        p.add_argument("--distill-oof", type=int, default=0, metavar="K",
                       help="the teacher's answers on the train windows out-of-fold (K clip folds), not from the "
                            "head that saw them (default 0: off)")
        p.add_argument("--distill-views", type=int, default=0, metavar="K",
                       help="with --distill-oof: the teacher also answers K altered copies of every train clip "
                            "(mixed with another clip, tempo, pitch, tilt), and the student learns those too "
                            "(default 0: off)")
        p.add_argument("--distill-features", type=float, default=0.0, metavar="WEIGHT",
                       help="with --distill-views: the student also learns to predict the teacher's features "
                            "(their 64 principal axes, through a probe that is not exported), weighted so in the "
                            "loss (default 0: off)")
        p.add_argument("--init-from", type=Path, default=None, metavar="MODEL",
                       help="start from this model's weights (same architecture and input)")
        p.add_argument("--input", choices=("mel", "stft"), default="mel", help="spectrogram kind (default mel)")
    p.add_argument("--image", choices=("native", "paper"), default="native",
                   help="native bands x columns input, or the paper's 224x224 RGB image (default native)")
    p.add_argument("--frame-stride", type=float, default=None,
                   help="STFT frames per feature column (default 1; the images' own stride with --images)")
    p.add_argument("--top-db", type=float, default=80.0,
                   help="per-window scaling: dB below each window's maximum kept (default 80)")
    p.add_argument("--epochs", type=int, default=100, help="at most this many epochs (default 100)")
    p.add_argument("--patience", type=int, default=10, help="early-stopping patience in epochs (default 10)")
    p.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    p.add_argument("--lr", type=float, default=1e-3, help="AdamW learning rate (default 1e-3)")
    p.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW weight decay (default 1e-4)")
    p.add_argument("--width", type=int, default=64, help="ResNet base width (64 = ResNet18; CNN uses half)")
    p.add_argument("--hidden", type=int, default=256,
                   help="GRU hidden size (default 256); musicnn-transfer: the head's width, 0 = a linear head")
    p.add_argument("--windows-per-clip", type=int, default=5, help="random windows per clip per epoch (default 5)")
    p.add_argument("--fixed-windows", action="store_true", help="draw each clip's windows once (the paper's way)")
    p.add_argument("--eval-hop", type=float, default=1.0,
                   help="seconds between validation/test windows (default 1; 3 = non-overlapping, 3x faster)")
    p.add_argument("--monitor", choices=("valid_acc", "valid_loss", "valid_track_acc"), default="valid_acc",
                   help="what early stopping and model selection watch (default valid_acc)")
    p.add_argument("--augment", default="", help="comma list of specaugment, mixup, gain, shift (default none)")
    p.add_argument("--pretrained", choices=("imagenet",), default=None,
                   help="initialise the ResNet from ImageNet (needs the weights; else from scratch, with a note)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: all cores)")
    p.add_argument("--quantize", action="store_true", help="also make an int8 model (kept if <= 1 point worse)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/<data>-<arch>-<input>-<image>)")
    p.add_argument("--force", action="store_true", help="replace a non-empty --out")
    if not grid:
        p.add_argument("--extend", action="store_true",
                       help="continue the finished run in --out (same configuration) up to --epochs; its results "
                            "are replaced by the longer run's")
    p.add_argument("--name", default="", help="model name in its card")
    p.add_argument("--notes", default="", help="text for people, added to the card's notes and the report")


def _command_line() -> str:
    return "genrelab " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else "genrelab"


def _cache(args: argparse.Namespace):
    return None if args.no_cache else (args.cache or "default")


#: what --backbone and --finetune are when not given (the parser keeps None, so that giving them is seen)
MUSICNN_DEFAULTS = {"backbone": "msd", "finetune": "none"}


def check_train_options(args: argparse.Namespace) -> None:
    """Refuse ``genrelab train`` option combinations that cannot work, with one line (GenreLabError).

    Light (no torch, no data read): the CLI calls it before it loads anything and the Training page before it
    starts a run. ``args`` is not changed (unset musicnn options stay None; see :data:`MUSICNN_DEFAULTS`).
    """
    if not hasattr(args, "backbone"):  # `experiment`: a grid of the plain architectures, no such options
        return
    if args.arch == "musicnn_transfer":
        if args.input != "mel" or args.image != "native":
            raise GenreLabError("musicnn-transfer needs --input mel --image native (its adapter turns the Mel "
                                "window into musicnn's input)")
        if args.distill:
            raise GenreLabError("--distill trains a ResNet-BiGRU/CNN student from a musicnn-transfer teacher; the "
                                "musicnn-transfer net itself cannot be the student (choose another --arch)")
        if args.init_from and (args.finetune or MUSICNN_DEFAULTS["finetune"]) == "none":
            raise GenreLabError("--init-from does nothing with a frozen musicnn backbone (--finetune none): only "
                                "the head is trained, fitted from scratch; fine-tune a layer (e.g. --finetune "
                                "midend3) or drop --init-from")
    else:
        given = [f"--{name}" for name in MUSICNN_DEFAULTS if getattr(args, name) is not None]
        if given:
            raise GenreLabError(f"{' and '.join(given)} {'apply' if len(given) > 1 else 'applies'} to --arch "
                                f"musicnn-transfer only (not to --arch {args.arch})")
    if args.distill_oof and not args.distill:
        raise GenreLabError("--distill-oof needs --distill MODEL (it says how that teacher answers)")
    if args.distill_views and not args.distill_oof:
        raise GenreLabError("--distill-views needs --distill-oof K (the views are answered by out-of-fold heads)")
    if args.distill_features and not args.distill_views:
        raise GenreLabError("--distill-features needs --distill-views K (the teacher's features come with its views)")
    if args.distill_features < 0:
        raise GenreLabError(f"--distill-features takes a weight >= 0 (got {args.distill_features:g})")
    if args.distill_views < 0:
        raise GenreLabError(f"--distill-views takes 0 (off) or a number of views per clip (got {args.distill_views})")
    if args.distill_oof < 0 or args.distill_oof == 1:
        raise GenreLabError(f"--distill-oof takes 0 (off) or at least 2 clip folds (got {args.distill_oof})")


def _pipeline_config(args: argparse.Namespace, arch: str, kind: str, out: Path):
    check_train_options(args)
    from training.pipeline import PipelineConfig
    from training.trainer import TrainConfig

    augment = tuple(a.strip() for a in args.augment.split(",") if a.strip())
    if args.eval_hop <= 0 or args.epochs < 1 or args.batch_size < 2 or args.windows_per_clip < 1:
        raise GenreLabError("--eval-hop must be positive, --epochs and --windows-per-clip at least 1, "
                            "--batch-size at least 2")
    try:
        extra = {}
        if hasattr(args, "backbone"):  # `train` (not `experiment`)
            extra = {name: getattr(args, name) or default for name, default in MUSICNN_DEFAULTS.items()}
            if args.train_hop is not None and args.train_hop <= 0:
                raise GenreLabError("--train-hop must be positive (seconds between training windows)")
            extra |= {"linear_head": args.linear_head, "train_hop_s": args.train_hop or 0.0}
            extra |= {"distill": str(args.distill) if args.distill else None, "distill_alpha": args.distill_alpha,
                      "distill_temperature": args.distill_temperature, "distill_oof": args.distill_oof,
                      "distill_views": args.distill_views, "distill_features": args.distill_features,
                      "init_from": str(args.init_from) if args.init_from else None}
        train = TrainConfig(architecture=arch, base_width=args.width, hidden=args.hidden, pretrained=args.pretrained,
                            **extra,
                            epochs=args.epochs, patience=args.patience, batch_size=args.batch_size, lr=args.lr,
                            weight_decay=args.weight_decay, windows_per_clip=args.windows_per_clip,
                            fixed_windows=args.fixed_windows, eval_hop_s=args.eval_hop, augment=augment,
                            monitor=args.monitor, seed=args.seed, threads=args.threads)
    except ValueError as exc:
        raise GenreLabError(str(exc)) from None
    return PipelineConfig(data=args.data, out=out, images=args.images, split=args.split,
                          allow_missing=args.allow_missing, input=kind, image=args.image,
                          frame_stride=args.frame_stride, top_db=args.top_db, train=train, quantize=args.quantize,
                          force=args.force, extend=getattr(args, "extend", False),
                          cache_dir=_cache(args), workers=args.workers, name=args.name, command=_command_line(),
                          notes=args.notes)


# ---- progress on stderr ---------------------------------------------------------------------------------------
def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class ProgressLine:
    """One live line on stderr (epoch, batch, loss, accuracy, windows/s, ETA); log lines print above it."""

    def __init__(self, epochs: int, batch_size: int, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.epochs = epochs
        self.batch_size = batch_size
        self.epoch_seconds: list[float] = []
        self.shown = False
        self.last = 0.0

    def _write(self, text: str) -> None:
        width = 118
        self.stream.write("\r" + text[:width].ljust(width))
        self.stream.flush()
        self.shown = True

    def log(self, text: str) -> None:
        if self.shown:
            self.stream.write("\r" + " " * 118 + "\r")
            self.shown = False
        print(text, file=self.stream, flush=True)

    def batch(self, info) -> None:
        now = time.monotonic()
        if not self.live or (now - self.last < 0.2 and info.batch != info.n_batches):
            return
        self.last = now
        done = info.batch / max(info.n_batches, 1)
        bar = "#" * int(20 * done) + "." * (20 - int(20 * done))
        left = (info.n_batches - info.batch) * self.batch_size / max(info.windows_per_s, 1e-9)
        eta = f"ETA epoch {_clock(left)}"
        if self.epoch_seconds:
            per = sum(self.epoch_seconds[-3:]) / len(self.epoch_seconds[-3:])
            eta += f", <= {_clock(left + per * (self.epochs - info.epoch))} all"
        self._write(f"epoch {info.epoch}/{self.epochs} [{bar}] {info.batch}/{info.n_batches}  loss {info.loss:.3f}  "
                    f"acc {info.acc:.3f}  {info.windows_per_s:.0f} win/s  {eta}")

    def epoch(self, stats) -> None:
        self.epoch_seconds.append(stats.seconds)

    def stage(self, fraction: float, message: str) -> None:
        if self.live and fraction < 0.1 and message:
            self._write(f"{message}  {100 * fraction / 0.1:.0f}%")


@contextmanager
def _ctrl_c_cancels(cancel: threading.Event, say):
    """The first Ctrl-C sets ``cancel`` (clean stop between batches); a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_sig, _frame):
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        say("stopping after this batch (Ctrl-C again to quit at once)...")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _callbacks(line: ProgressLine, cancel: threading.Event):
    from training.pipeline import Callbacks

    return Callbacks(progress=line.stage, on_batch=line.batch, on_epoch=line.epoch, log=line.log, cancel=cancel)


# ---- train -----------------------------------------------------------------------------------------------
@command("train", "train a genre model on a folder-per-genre dataset and export it as ONNX",
         _add_train_options)
def run_train(args: argparse.Namespace) -> int:
    from training.pipeline import partial_dir, run

    out = args.out or Path("runs") / f"{args.data.resolve().name}-{args.arch}-{args.input}-{args.image}"
    config = _pipeline_config(args, args.arch, args.input, out)
    line = ProgressLine(args.epochs, args.batch_size)
    cancel = threading.Event()
    try:
        with _ctrl_c_cancels(cancel, line.log):
            result = run(config, _callbacks(line, cancel))
    except Cancelled:
        line.log(f"cancelled: the checkpoint is kept in {partial_dir(Path(out).resolve())}; "
                 f"run the same command again to resume")
        return 130
    first = result.folds[0]
    line.log(f"training speed: {result.windows_per_s:.1f} windows/s (batch {args.batch_size})")
    for part, ev in first.evaluations.items():
        line.log(f"{part}: window accuracy {ev.window.accuracy:.3f}, track accuracy {ev.track.accuracy:.3f}, "
                 f"weighted F1 {ev.window.f1:.3f}")
    models = ", ".join(str(f.model_path) for f in result.folds)
    line.log(f"model: {models}\nreport: {result.out / 'report.md'}")
    if result.skipped:
        line.log(f"{len(result.skipped)} file(s) skipped (listed in the report)")
    if not result.parity_ok:
        line.log("error: ONNX Runtime and torch disagree by more than 1e-4 (see the report)")
        return 1
    return 0


# ---- experiment ---------------------------------------------------------------------------------------------
def _experiment_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("grid", choices=("paper",), help="which grid: paper (4 architectures x STFT/Mel + baselines)")
    _add_train_options(p, grid=True)
    p.add_argument("--archs", default=",".join(ARCHS), help="comma list of architectures (default all four)")
    p.add_argument("--inputs", default="stft,mel", help="comma list of inputs (default stft,mel)")
    p.add_argument("--modes", default=None,
                   help="comma list of input modes, native and/or paper (default: the --image option)")
    p.add_argument("--no-baselines", action="store_true", help="skip the KNN/SVM baselines")


@command("experiment", "run the paper's whole experiment grid and compare with the paper", _experiment_args)
def run_experiment_cmd(args: argparse.Namespace) -> int:
    from training.experiment import ExperimentConfig, run_experiment

    archs = tuple(a.strip() for a in args.archs.split(",") if a.strip())
    inputs = tuple(a.strip() for a in args.inputs.split(",") if a.strip())
    modes = tuple(a.strip() for a in (args.modes or args.image).split(",") if a.strip())
    if (set(archs) - set(ARCHS) or set(inputs) - {"mel", "stft"} or set(modes) - {"native", "paper"}
            or not archs or not inputs or not modes):
        raise GenreLabError(f"--archs takes {', '.join(ARCHS)}; --inputs takes mel, stft; --modes takes native, paper")
    out = args.out or Path("runs") / f"{args.data.resolve().name}-paper-grid"
    base = _pipeline_config(args, archs[0], inputs[0], out)
    line = ProgressLine(args.epochs, args.batch_size)
    cancel = threading.Event()
    try:
        with _ctrl_c_cancels(cancel, line.log):
            folder = run_experiment(ExperimentConfig(base, archs, inputs, modes,
                                                     baselines=not args.no_baselines),
                                    _callbacks(line, cancel))
    except Cancelled:
        line.log("cancelled: finished runs and the current run's checkpoint are kept; run the same command "
                 "again to resume")
        return 130
    line.log(f"report: {folder / 'report.md'}")
    return 0


# ---- evaluate -------------------------------------------------------------------------------------------------
def _evaluate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, required=True, help="ONNX model file with a GenreLab card")
    _add_data_options(p)
    p.add_argument("--split", default=None,
                   help="evaluate the held-out parts (valid, test) of this split; default: every clip")
    p.add_argument("--hop", type=float, default=1.0, help="seconds between windows (default 1)")
    p.add_argument("--only", type=Path, default=None,
                   help="evaluate only the clips named here: a list file (one name per line) or a folder whose "
                        "files' stems are the names (e.g. the audio of the same clips)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")


def _clip_names(where: Path) -> set[str]:
    """Clip names (stems) from a list file or from the files under a folder."""
    from training.splits import SplitError, read_list

    if where.is_dir():
        return {p.stem for p in where.rglob("*") if p.is_file() and not p.name.startswith(".")}
    if not where.is_file():
        raise GenreLabError(f"--only {where}: no such file or folder")
    try:
        return set(read_list(where))
    except SplitError as exc:
        raise GenreLabError(f"--only {exc}") from None


@command("evaluate", "metrics of a model on labelled data (window and track level)", _evaluate_args)
def run_evaluate(args: argparse.Namespace) -> int:
    from genrelab.model.card import read_card
    from training import datasets, splits
    from training.evaluate import evaluate_model, format_evaluation

    if args.hop <= 0:
        raise GenreLabError(f"--hop must be positive (got {args.hop})")
    card = read_card(args.model)
    spec = card.spec
    entries, ignored = datasets.scan(args.data, images=args.images)
    parts = {"all": list(range(len(entries)))}
    if args.split:
        split = splits.make_splits(args.split, entries, data_root=args.data, allow_missing=args.allow_missing)[0]
        parts = {k: v for k, v in (("valid", split.valid), ("test", split.test)) if v}
    if args.only is not None:
        wanted = _clip_names(args.only)
        parts = {k: [i for i in v if entries[i].clip_id in wanted] for k, v in parts.items()}
        if not any(parts.values()):
            raise GenreLabError(f"none of the clips named by {args.only} are in {args.data}")
    use = sorted(set().union(*parts.values()))
    if args.images:
        dataset = datasets.load_image_entries(args.data, entries, use, spec, cache_dir=_cache(args), ignored=ignored)
    else:
        dataset = datasets.load_entries(args.data, entries, use, spec, cache_dir=_cache(args), workers=args.workers,
                                        ignored=ignored)
    for path, why in dataset.skipped:
        print(f"skipped {path}: {why}", file=sys.stderr)
    results = {}
    for part, ix in parts.items():
        clips = dataset.clips_of(ix)
        if clips:
            results[part] = evaluate_model(args.model, clips, args.hop)
    if args.json:
        print(json.dumps({k: v.to_dict() for k, v in results.items()}, indent=1))
    else:
        print(f"model: {args.model} ({card.name})")
        for part, ev in results.items():
            print(format_evaluation(ev, f"== {part}: {ev.n_clips} clips, {ev.n_windows} windows"))
    return 0


# ---- synth ------------------------------------------------------------------------------------------------------
def _synth_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, required=True, help="folder to write <class>/<class>.000NN.wav into")
    p.add_argument("--classes", type=int, default=3, help="number of classes (default 3)")
    p.add_argument("--clips-per-class", type=int, default=10, help="clips per class (default 10)")
    p.add_argument("--seconds", type=float, default=8.0, help="clip length in seconds (default 8)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder")


@command("synth", "write a synthetic labelled audio set (a few classes of music-like sound)", _synth_args)
def run_synth(args: argparse.Namespace) -> int:
    from training.synth import write_dataset

    if args.out.exists() and any(args.out.iterdir()) and not args.force:
        raise GenreLabError(f"{args.out} is not empty; choose another --out or add --force")
    try:
        paths = write_dataset(args.out, classes=args.classes, clips_per_class=args.clips_per_class,
                              seconds=args.seconds, seed=args.seed)
    except ValueError as exc:
        raise GenreLabError(str(exc)) from None
    classes = sorted({p.parent.name for p in paths})
    print(f"wrote {len(paths)} clips of {args.seconds:g} s in {len(classes)} classes ({', '.join(classes)}) "
          f"to {args.out}")
    return 0
