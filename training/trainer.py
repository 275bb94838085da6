"""The training loop: random windows per epoch, early stopping, a checkpoint every epoch, resume, cancel.

Deterministic for a given seed: epoch ``e`` draws its windows and dropout from seeds derived from
``(seed, e)``, so a run cancelled and resumed ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from genrelab.dsp import FeatureSpec, model_inputs
from genrelab.errors import Cancelled
from genrelab.model.nets import build
from genrelab.progress import CancelToken
from training import distributed
from training.clips import Clip, all_windows, batch_inputs, batch_raw, random_windows, rows_by_clip

AUGMENTATIONS = ("specaugment", "mixup", "gain", "shift")


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (all recorded in the model card)."""

    architecture: str = "resnet_bigru"
    base_width: int = 64
    hidden: int = 256
    pretrained: str | None = None
    backbone: str = "msd"
    finetune: str = "none"
    linear_head: str = "lda"
    train_hop_s: float = 0.0
    distill: str | None = None
    distill_alpha: float = 0.7
    distill_temperature: float = 2.0
    distill_oof: int = 0
    distill_views: int = 0
    distill_features: float = 0.0
    init_from: str | None = None
    epochs: int = 100
    patience: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    windows_per_clip: int = 5
    fixed_windows: bool = False
    eval_hop_s: float = 1.0
    augment: tuple[str, ...] = ()
    monitor: str = "valid_acc"
    seed: int = 0
    threads: int | None = None

    def __post_init__(self) -> None:
        self.augment = tuple(self.augment)
        unknown = set(self.augment) - set(AUGMENTATIONS)
        if unknown:
            raise ValueError(f"unknown augmentation(s) {', '.join(sorted(unknown))}; known: {', '.join(AUGMENTATIONS)}")
        if self.monitor not in ("valid_acc", "valid_loss", "valid_track_acc"):
            raise ValueError("monitor must be valid_acc, valid_loss or valid_track_acc")


#: principal axes of the teacher's features a student learns to predict (``distill_features`` > 0)
FEATURE_COMPONENTS = 64

#: TrainConfig fields that say when to stop or how many CPU threads to use, not what an epoch computes: a
#: checkpoint resumes across changes to them.
RESUMABLE_FIELDS = ("epochs", "patience", "threads")


def resumable_config(config: dict[str, Any]) -> dict[str, Any]:
    """A TrainConfig dict without :data:`RESUMABLE_FIELDS` (what must match for a checkpoint to resume).

    Fields a saved config lacks (it was written before they existed) count as their defaults, so a run keeps
    resuming across versions that add an option it does not use."""
    base = {f.name: f.default for f in fields(TrainConfig) if f.default is not MISSING}
    return {k: v for k, v in {**base, **config}.items() if k not in RESUMABLE_FIELDS}


@dataclass
class EpochStats:
    epoch: int
    train_loss: float
    train_acc: float
    valid_loss: float
    valid_acc: float
    valid_track_acc: float
    seconds: float
    windows_per_s: float
    lr: float = 0.0


@dataclass
class BatchInfo:
    epoch: int
    batch: int
    n_batches: int
    loss: float
    acc: float
    windows_per_s: float


@dataclass
class FitResult:
    net: nn.Module
    history: list[EpochStats]
    best_epoch: int
    stopped: str
    train_seconds: float
    cpu_seconds: float
    config: TrainConfig = field(default_factory=TrainConfig)


# ---- augmentation (on dB windows and on scaled inputs) ---------------------------------------------------------
def _tilt(raw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """'gain': a random spectral tilt of +-6 dB across the bands (a plain gain would vanish in the per-window
    scaling, so the useful part of a level change, the balance of lows and highs, is what varies)."""
    slope = rng.uniform(-6, 6, size=(raw.shape[0], 1, 1))
    ramp = np.linspace(-0.5, 0.5, raw.shape[1], dtype=np.float32)[None, :, None]
    return raw + (slope * ramp).astype(np.float32)


def mixup_forward(model, x, y, loss_fn, rng: np.random.Generator, mixup: bool):  # noqa: ANN001, ANN201 - torch
    """Logits and loss of one training batch, with mixup (Beta(0.4, 0.4), a random pairing) when ``mixup``.

    Returns ``(logits, loss, lam, perm)``; ``perm`` is None without mixup (``lam`` 1), so a caller can mix other
    targets (a teacher's answers) the same way.
    """
    import torch

    if not mixup:
        logits = model(x)
        return logits, loss_fn(logits, y), 1.0, None
    lam = float(rng.beta(0.4, 0.4))
    perm = torch.from_numpy(rng.permutation(len(x)))
    logits = model(lam * x + (1 - lam) * x[perm])
    return logits, lam * loss_fn(logits, y) + (1 - lam) * loss_fn(logits, y[perm]), lam, perm


def _specaugment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two frequency masks (<= 15 % of rows) and two time masks (<= 15 % of columns) per example."""
    x = x.copy()
    b, _, h, w = x.shape
    for i in range(b):
        for _ in range(2):
            f = rng.integers(0, max(1, int(0.15 * h)) + 1)
            f0 = rng.integers(0, h - f + 1)
            x[i, :, f0 : f0 + f, :] = x[i].mean()
            t = rng.integers(0, max(1, int(0.15 * w)) + 1)
            t0 = rng.integers(0, w - t + 1)
            x[i, :, :, t0 : t0 + t] = x[i].mean()
    return x


def _shifted(index: list[tuple[int, int]], clips: list[Clip], spec: FeatureSpec, rng: np.random.Generator):
    """'shift': move each window by up to a quarter window, staying inside its clip."""
    width = spec.window_columns
    out = []
    for c, s in index:
        span = max(clips[c].n_columns, width) - width
        jitter = int(rng.integers(-width // 4, width // 4 + 1))
        out.append((c, int(min(max(s + jitter, 0), span))))
    return out


# ---- helpers ----------------------------------------------------------------------------------------------
def predict_clips(net: nn.Module, clips: list[Clip], spec: FeatureSpec, hop_s: float = 1.0,
                  batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Window probabilities (N, C) of every window at ``hop_s`` of every clip, and each window's clip index."""
    index = all_windows(clips, spec, hop_s)
    net.eval()
    if getattr(net, "span", False):  # a span net answers each clip's windows from one pass over the clip
        return _predict_clips_span(net, clips, spec, index), np.array([c for c, _ in index], dtype=np.int64)
    out = []
    with torch.inference_mode():
        for i in range(0, len(index), batch_size):
            x = torch.from_numpy(batch_inputs(clips, index[i : i + batch_size], spec))
            out.append(torch.softmax(net(x), dim=1).numpy())
    probs = np.concatenate(out) if out else np.zeros((0, 0), np.float32)
    return probs, np.array([c for c, _ in index], dtype=np.int64)


def _predict_clips_span(net: nn.Module, clips: list[Clip], spec: FeatureSpec,
                        index: list[tuple[int, int]]) -> np.ndarray:
    from genrelab.model.span import columns_for, scaled_spans
    from training.clips import fit_to_window

    context = columns_for(net.context_s, spec)
    out = np.zeros((len(index), net.head[-1].out_features), np.float32)
    rows_of = rows_by_clip(index)
    with torch.inference_mode():
        for c, rows in rows_of.items():
            starts = np.array([index[r][1] for r in rows], np.int64)
            for sel, x, rel in scaled_spans(fit_to_window(clips[c].db, spec), starts, spec, context):
                logits, _ = net.forward_span(torch.from_numpy(x), torch.from_numpy(rel))
                out[np.asarray(rows)[sel]] = torch.softmax(logits, dim=1).numpy()
    return out


def track_accuracy(probs: np.ndarray, clip_of: np.ndarray, y_clip: np.ndarray) -> float:
    """Accuracy of the argmax of each clip's mean window probability."""
    n = len(y_clip)
    sums = np.zeros((n, probs.shape[1]))
    np.add.at(sums, clip_of, probs)
    return float((sums.argmax(1) == y_clip).mean()) if n else 0.0


def selection_score(monitor: str, v_acc: float, v_loss: float, v_track: float) -> list[float]:
    """What model selection and early stopping compare (bigger is better), as a list compared in order.

    Accuracy on a small validation set takes few distinct values, so ties are common (13 clips: steps of
    0.077); a tie is broken by the validation loss, so of two epochs with the same accuracy the more confident,
    better-calibrated one is kept (and counts as progress for early stopping) instead of the earliest.
    """
    return {"valid_acc": [v_acc, -v_loss], "valid_loss": [-v_loss],
            "valid_track_acc": [v_track, v_acc, -v_loss]}[monitor]


def _better(score: list[float], best: list[float] | float | None) -> bool:
    """``score`` beats ``best`` (None: nothing yet; a float: a checkpoint from before ties were broken)."""
    if best is None:
        return True
    if not isinstance(best, (list, tuple)):
        return score[0] > best
    return list(score) > list(best)


def _save_atomic(obj: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


# ---- the loop ---------------------------------------------------------------------------------------------
def load_start(net: nn.Module, start: nn.Module, say: Callable[[str], None]) -> None:
    """Copy ``start``'s weights into ``net`` (same architecture and input).

    A musicnn model that runs per span (its adapter scales the whole span) can start a fine-tuned one, which runs
    per window: the weights of the backbone and head are copied, and ``net`` keeps its own per-window adapter and
    calibration (the two adapters hold different buffers).
    """
    state = start.state_dict()
    if bool(getattr(start, "span", False)) != bool(getattr(net, "span", False)):
        state = {k: v for k, v in state.items() if not k.startswith("adapter.")}
        state |= {k: v for k, v in net.state_dict().items() if k.startswith("adapter.")}
        say("the start model runs per span and this one per window: its backbone and head are copied, the "
            "adapter stays the per-window one")
    net.load_state_dict(state)


def fit(
    train: list[Clip],
    valid: list[Clip],
    spec: FeatureSpec,
    labels: list[str],
    config: TrainConfig,
    workdir: Path,
    *,
    on_batch: Callable[[BatchInfo], None] | None = None,
    on_epoch: Callable[[EpochStats], None] | None = None,
    cancel: CancelToken | None = None,
    log: Callable[[str], None] | None = None,
) -> FitResult:
    """Train ``config.architecture`` on ``train``, select and early-stop on ``valid``; resume from ``workdir``.

    Returns the best epoch's net (eval mode). Raises Cancelled when ``cancel`` is set (between batches); the
    last complete epoch stays in ``workdir/checkpoint.pt`` and calling ``fit`` again continues from there.
    """
    if config.architecture == "musicnn_transfer" and config.finetune == "none":
        from training.musicnn_transfer import fit_frozen

        return fit_frozen(train, valid, spec, labels, config, workdir, on_epoch=on_epoch, cancel=cancel, log=log)
    say = log or (lambda _s: None)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.threads or os.cpu_count() or 1)
    label_ix = {name: i for i, name in enumerate(labels)}
    y_train = np.array([label_ix[c.label] for c in train], np.int64)
    y_valid = np.array([label_ix[c.label] for c in valid], np.int64)

    torch.manual_seed(config.seed)
    if config.architecture == "musicnn_transfer":
        from training.musicnn_transfer import build_transfer

        # fine-tuning trains on windows one at a time, so the model runs that way in the app too (not per span)
        net = build_transfer(spec, len(labels), backbone=config.backbone, finetune=config.finetune,
                             hidden=config.hidden, span=False)
    else:
        net = build(config.architecture, spec.model_input_shape, len(labels), base_width=config.base_width,
                    hidden=config.hidden, pretrained=config.pretrained)
    net = net.to(memory_format=torch.channels_last)  # oneDNN's fast layout: about 2x faster training on CPU
    rank, size = distributed.world()  # under torchrun: each process trains on its share of every batch
    model = distributed.wrap(net)
    if config.init_from:
        from genrelab.model.torch_weights import net_from_onnx

        start, _ = net_from_onnx(Path(config.init_from))
        load_start(net, start, say)
        say(f"initialised from {config.init_from}")
    teacher = None
    t_feats = None
    if config.distill:
        from training.musicnn_transfer import teacher_logits

        if config.distill_views:  # the teacher also answers altered copies of the train clips (training.views)
            from training.musicnn_transfer import teacher_view_logits
            from training.views import make_views

            views, source, _notes = make_views(train, config.distill_views, config.distill_oof, config.seed)
            t_index = all_windows(train + views, spec, spec.window_s)
            t_logits, t_feats = teacher_view_logits(
                Path(config.distill), train, views, source, t_index, spec, workdir, folds=config.distill_oof,
                seed=config.seed, log=say, cancel=cancel,
                components=FEATURE_COMPONENTS if config.distill_features else 0, labels=labels)
            say(f"{len(views)} teacher views of the {len(train)} train clips")
            train = train + views
            y_train = np.concatenate([y_train, y_train[source]])
        else:
            t_index = all_windows(train, spec, spec.window_s)
            t_logits = teacher_logits(Path(config.distill), train, t_index, spec, workdir, log=say, cancel=cancel,
                                      oof_folds=config.distill_oof, seed=config.seed, labels=labels)
        teacher = (t_index, t_logits)
        by_clip = rows_by_clip(t_index)
        t_acc = float((teacher[1].argmax(1) == y_train[[c for c, _ in t_index]]).mean())
        say(f"distilling from {config.distill}{f' (out-of-fold, {config.distill_oof} folds)' if config.distill_oof else ''}"
            f": {len(t_index)} teacher windows (teacher train window accuracy "
            f"{t_acc:.3f}), alpha {config.distill_alpha:g}, temperature {config.distill_temperature:g}")
    probe = None  # distilled features: a linear probe from the student's embedding to the teacher's (not exported)
    if t_feats is not None:
        with torch.no_grad():
            dim = net.eval().embed(torch.zeros((2, *spec.model_input_shape))).shape[1]
        probe = nn.Linear(dim, t_feats.shape[1])
        t_feats = torch.from_numpy(t_feats)
    params = [p for p in net.parameters() if p.requires_grad] + (list(probe.parameters()) if probe else [])
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=4)
    loss_fn = nn.CrossEntropyLoss()

    state = {"epoch": 0, "history": [], "best_state": None, "best_epoch": 0, "best_score": None, "bad_epochs": 0,
             "cpu_seconds": 0.0, "train_seconds": 0.0}
    ckpt_path = workdir / "checkpoint.pt"
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, weights_only=False)
        if (resumable_config(ckpt.get("config") or {}) == resumable_config(asdict(config)) and ckpt.get("spec") == spec.to_dict() and ckpt.get("labels") == labels):
            net.load_state_dict(ckpt["net"])
            if probe is not None and ckpt.get("probe"):
                probe.load_state_dict(ckpt["probe"])
            opt.load_state_dict(ckpt["opt"])
            sched.load_state_dict(ckpt["sched"])
            state = ckpt["state"]
            say(f"resuming after epoch {state['epoch']} from {ckpt_path}")
        else:
            say(f"{ckpt_path} belongs to another configuration: starting afresh")
    history = [EpochStats(**h) for h in state["history"]]
    box: dict[str, torch.Tensor] = {}

    def forward_keeping_features(inp: torch.Tensor) -> torch.Tensor:  # the probe needs the embedding as well
        box["features"] = net.embed(inp)
        return net.classify(box["features"])

    fixed = random_windows(train, spec, config.windows_per_clip, np.random.default_rng([config.seed, 10**6]))
    stopped = "max_epochs"

    for epoch in range(state["epoch"] + 1, config.epochs + 1):
        if state["bad_epochs"] >= config.patience:
            stopped = "early_stop"
            break
        t0, c0 = time.perf_counter(), time.process_time()
        rng = np.random.default_rng([config.seed, epoch])
        torch.manual_seed(config.seed * 100_003 + epoch)
        index = fixed if config.fixed_windows else random_windows(train, spec, config.windows_per_clip, rng)
        soft = None
        if teacher is not None:  # windows where the teacher's answer is known: a random few of each clip's
            picks = [int(k) for ks in by_clip.values()
                     for k in rng.choice(ks, size=min(len(ks), config.windows_per_clip), replace=False)]
            index = [teacher[0][k] for k in picks]
            soft = torch.from_numpy(teacher[1][picks])
            epoch_feats = t_feats[picks] if t_feats is not None else None
        if "shift" in config.augment:
            index = _shifted(index, train, spec, rng)
        order = rng.permutation(len(index))
        batches = [order[i : i + config.batch_size] for i in range(0, len(order), config.batch_size)]
        if len(batches) > 1 and len(batches[-1]) < 2 * size:  # BatchNorm needs two examples (per process)
            batches[-2] = np.concatenate([batches[-2], batches[-1]])
            batches.pop()
        net.train()
        seen, loss_sum, correct = 0, 0.0, 0
        for b, sel in enumerate(batches):
            if distributed.any_set(cancel is not None and cancel.is_set()):
                raise Cancelled(f"training cancelled in epoch {epoch}; run again with the same output to resume "
                                f"after epoch {state['epoch']}")
            sub = [index[i] for i in sel[rank::size]]
            raw = batch_raw(train, sub, spec)
            if "gain" in config.augment:
                raw = _tilt(raw, rng)
            x = model_inputs(raw, spec)
            if "specaugment" in config.augment:
                x = _specaugment(x, rng)
            xt = torch.from_numpy(x).contiguous(memory_format=torch.channels_last)
            yt = torch.from_numpy(y_train[[c for c, _ in sub]])
            logits, loss, lam, perm = mixup_forward(forward_keeping_features if probe is not None else model, xt,
                                                    yt, loss_fn, rng, "mixup" in config.augment)
            if soft is not None:  # distillation: the teacher's softened answers on the same windows
                temp = config.distill_temperature
                target = torch.softmax(soft[torch.from_numpy(np.asarray(sel[rank::size]))] / temp, dim=1)
                if perm is not None:
                    target = lam * target + (1 - lam) * target[perm]
                kd = nn.functional.kl_div(torch.log_softmax(logits / temp, dim=1), target, reduction="batchmean")
                loss = config.distill_alpha * temp * temp * kd + (1 - config.distill_alpha) * loss
            if probe is not None:  # the teacher's features of the same windows (mixed as the inputs were)
                goal = epoch_feats[torch.from_numpy(np.asarray(sel[rank::size]))]
                if perm is not None:
                    goal = lam * goal + (1 - lam) * goal[perm]
                loss = loss + config.distill_features * nn.functional.mse_loss(probe(box["features"]), goal)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            seen += len(sub)
            loss_sum += loss.item() * len(sub)
            correct += int((logits.argmax(1) == yt).sum())
            if on_batch:
                on_batch(BatchInfo(epoch, b + 1, len(batches), loss_sum / seen, correct / seen,
                                   seen / (time.perf_counter() - t0)))
        train_time = time.perf_counter() - t0
        if size > 1:  # every process's windows count; process 0 validates and the others take its numbers
            seen, loss_sum, correct = distributed.sum_all([seen, loss_sum, correct])
        v_loss = v_acc = v_track = 0.0
        if rank == 0:
            probs, clip_of = predict_clips(net, valid, spec, config.eval_hop_s)
            y_win = y_valid[clip_of]
            v_loss = float(-np.log(np.maximum(probs[np.arange(len(y_win)), y_win], 1e-9)).mean())
            v_acc = float((probs.argmax(1) == y_win).mean())
            v_track = track_accuracy(probs, clip_of, y_valid)
        v_loss, v_acc, v_track = distributed.broadcast((v_loss, v_acc, v_track))
        sched.step(v_loss)
        stats = EpochStats(epoch, loss_sum / seen, correct / seen, v_loss, v_acc, v_track,
                           time.perf_counter() - t0, seen / train_time, opt.param_groups[0]["lr"])
        history.append(stats)
        score = selection_score(config.monitor, v_acc, v_loss, v_track)
        if _better(score, state["best_score"]):
            state.update(best_score=score, best_epoch=epoch, bad_epochs=0, best_state=copy.deepcopy(net.state_dict()))
        else:
            state["bad_epochs"] += 1
        state.update(epoch=epoch, history=[asdict(h) for h in history],
                     cpu_seconds=state["cpu_seconds"] + time.process_time() - c0,
                     train_seconds=state["train_seconds"] + time.perf_counter() - t0)
        if rank == 0:  # one checkpoint
            _save_atomic({"config": asdict(config), "spec": spec.to_dict(), "labels": labels,
                          "net": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                          "probe": probe.state_dict() if probe is not None else None,
                          "state": state}, ckpt_path)
        say(f"epoch {epoch:3d}  loss {stats.train_loss:.3f} acc {stats.train_acc:.3f} | valid loss {v_loss:.3f} "
            f"acc {v_acc:.3f} track {v_track:.3f} | {stats.windows_per_s:.0f} windows/s, {stats.seconds:.0f} s"
            f"{'  *' if state['best_epoch'] == epoch else ''}")
        if on_epoch:
            on_epoch(stats)
    else:
        if state["bad_epochs"] >= config.patience:
            stopped = "early_stop"
    if state["best_state"] is not None:
        net.load_state_dict(state["best_state"])
    net = net.to(memory_format=torch.contiguous_format).eval()
    return FitResult(net, history, state["best_epoch"], stopped, state["train_seconds"], state["cpu_seconds"],
                     config)

