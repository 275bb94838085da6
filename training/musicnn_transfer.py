"""Transfer learning on musicnn: the adapter's calibration, the backbone's cached features, a fast frozen fit.

``python -m training.musicnn_transfer calibrate AUDIO_LIST`` fits the adapter's level and per-band offset
(:class:`genrelab.model.musicnn.Adapter`) on real audio: for every 3-s window it compares musicnn's own input
(computed from the audio at 16 kHz, n_fft 512, hop 256, 96 bands) with what the adapter makes of the app's
features of the same audio (128 bands, per-window scaled), and keeps the median dB difference of each band.
The result is ``resources/pretrained/musicnn_adapter.json`` (fit on train-list clips only).

With a frozen backbone, training a head needs the backbone's output only once per window: :func:`fit_frozen`
computes the pooled features of fixed windows of every clip once (cached on disk, resumable), then trains the
head on them in seconds per epoch; the exported net is the whole thing (adapter + backbone + head).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from genrelab.dsp import FeatureSpec
from genrelab.model.musicnn import MUSICNN_HOP, MUSICNN_N_FFT, MUSICNN_N_MELS, MUSICNN_SR

ADAPTER_FILE = "musicnn_adapter.json"


def adapter_path() -> Path:
    from training.musicnn_convert import pretrained_dir

    return pretrained_dir() / ADAPTER_FILE


def _adapter_key(spec: FeatureSpec, span: bool = False) -> str:
    key = f"sr{spec.sr}_nfft{spec.n_fft}_mels{spec.n_mels}_fmin{spec.fmin:g}_fmax{spec.fmax}"
    return key + "_span" if span else key


def load_offsets(spec: FeatureSpec, span: bool = False) -> tuple[np.ndarray, str]:
    """(offset_db (96,), where it came from) for ``spec``'s Mel bands; a flat default when not calibrated.

    ``span``: the offsets of the span adapter (levels re the track's maximum instead of each window's)."""
    path = adapter_path()
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        entry = data.get(_adapter_key(spec, span))
        if entry:
            return np.asarray(entry["offset_db"], np.float32), entry["source"]
    return np.full(MUSICNN_N_MELS, -10.0, np.float32), "not calibrated for these Mel bands: flat -10 dB"


def musicnn_db(samples_16k: np.ndarray) -> np.ndarray:
    """10 log10 of musicnn's Mel power (96, frames) for 16-kHz audio (librosa's melspectrogram, slaney)."""
    from genrelab.dsp import track_features

    spec = FeatureSpec(sr=MUSICNN_SR, n_fft=MUSICNN_N_FFT, hop_length=MUSICNN_HOP, win_length=MUSICNN_N_FFT,
                       n_mels=MUSICNN_N_MELS)
    return track_features(samples_16k, spec).db


def calibrate(paths: list[Path], spec: FeatureSpec, hop_s: float = 1.5) -> np.ndarray:
    """Per-band offset (96,) dB: median over windows and frames of musicnn's dB minus the adapter's un-offset dB."""
    import torch

    from genrelab.audio import load
    from genrelab.dsp import cut, model_inputs, track_features, window_starts
    from genrelab.model.musicnn import Adapter

    adapter = Adapter(spec.to_dict()).eval()
    diffs = []
    for path in paths:
        ours = track_features(load(path, sr=spec.sr).samples, spec)
        theirs = musicnn_db(load(path, sr=MUSICNN_SR).samples)
        starts = window_starts(ours.n_columns, spec, hop_s)
        with torch.inference_mode():
            x = adapter(torch.from_numpy(model_inputs(cut(ours.db, starts, spec), spec))).numpy()
        # adapter output with offset 0: log10(1 + 1e4 * 10^(db/10)) -> back to its dB
        adapted_db = 10 * np.log10(np.maximum((10.0 ** x - 1) / 1e4, 1e-10))  # (B, 187, 96)
        for b, s in enumerate(starts):
            t0 = ours.frames[s] * spec.hop_length / spec.sr
            f0 = int(round(t0 * MUSICNN_SR / MUSICNN_HOP))
            ref = theirs[:, f0:f0 + 187].T
            if ref.shape[0] < 187:
                continue
            mine = adapted_db[b]
            keep = mine > -60  # away from the per-window floor
            d = np.where(keep, ref - mine, np.nan)
            diffs.append(d)
    stacked = np.concatenate(diffs)
    return np.nanmedian(stacked, axis=0).astype(np.float32)


def calibrate_span(paths: list[Path], spec: FeatureSpec) -> np.ndarray:
    """:func:`calibrate` for the span adapter: each clip whole, scaled re its maximum; frames matched in time."""
    import torch

    from genrelab.audio import load
    from genrelab.dsp import track_features
    from genrelab.dsp.windows import scale
    from genrelab.model.musicnn import SpanAdapter

    adapter = SpanAdapter(spec.to_dict()).eval()
    diffs = []
    for path in paths:
        ours = track_features(load(path, sr=spec.sr).samples, spec)
        theirs = musicnn_db(load(path, sr=MUSICNN_SR).samples)  # (96, K), frame k at k x 16 ms
        with torch.inference_mode():
            x = adapter(torch.from_numpy(scale(ours.db[None], spec)[0][None, None])).numpy()[0]  # (F, 96)
        mine = 10 * np.log10(np.maximum((10.0 ** x - 1) / 1e4, 1e-10))
        t0 = ours.frames[0] * spec.hop_length / spec.sr
        cols = (np.arange(len(mine)) + 0.5) / adapter.ratio - 0.5
        k = np.round((t0 + cols * spec.column_seconds) * MUSICNN_SR / MUSICNN_HOP).astype(int)
        ok = (k >= 0) & (k < theirs.shape[1])
        ref, mine = theirs[:, k[ok]].T, mine[ok]
        diffs.append(np.where(mine > -60, ref - mine, np.nan))
    return np.nanmedian(np.concatenate(diffs), axis=0).astype(np.float32)


def write_calibration(paths: list[Path], spec: FeatureSpec, source: str, span: bool = False) -> Path:
    offsets = calibrate_span(paths, spec) if span else calibrate(paths, spec)
    path = adapter_path()
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[_adapter_key(spec, span)] = {"offset_db": [round(float(v), 4) for v in offsets], "source": source}
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return path


# ---- the frozen fit -------------------------------------------------------------------------------------------
def build_transfer(spec: FeatureSpec, n_classes: int, *, backbone: str = "msd", finetune: str = "none",
                   hidden: int = 256, span: bool = True):
    """A :class:`MusicnnTransfer` with pretrained backbone weights and the calibrated adapter.

    ``span`` (the default since the per-track front end): the net runs over whole clips / tracks and pools per
    window (:meth:`MusicnnTransfer.forward_span`); the app runs it the same way.
    """
    import torch

    from genrelab.model.musicnn import MusicnnTransfer
    from training.musicnn_convert import load_backbone

    net = MusicnnTransfer(spec.to_dict(), n_classes, hidden=hidden, backbone=backbone, finetune=finetune,
                          span=span)
    own = net.backbone.state_dict()
    net.backbone.load_state_dict({k: v for k, v in load_backbone(backbone).state_dict().items() if k in own})
    offsets, _ = load_offsets(spec, span=span)
    net.adapter.offset_db.copy_(torch.from_numpy(offsets))
    net.freeze()
    return net


def _index_key(clips, index, spec: FeatureSpec, backbone: str, net_offsets: np.ndarray, span: bool = False) -> str:
    h = hashlib.sha1()
    h.update(json.dumps([spec.to_dict(), backbone] + (["span"] if span else [])).encode())
    for c, s in index:
        h.update(f"{clips[c].clip_id}:{s};".encode())
        h.update(hashlib.sha1(clips[c].db.tobytes()).digest() if s == index[0][1] and c == index[0][0] else b"")
    h.update(net_offsets.tobytes())
    return h.hexdigest()[:16]


def cached_embeddings(net, clips, index, spec: FeatureSpec, cache: Path, *, batch: int = 32,
                      log: Callable[[str], None] | None = None, cancel=None) -> np.ndarray:
    """The backbone's pooled features (N, 1506) of windows ``index``, computed once and kept in ``cache``.

    Computed in chunks saved as they finish, so a cancelled run resumes where it stopped.
    """
    import torch

    from genrelab.errors import Cancelled
    from training.clips import batch_inputs

    say = log or (lambda _s: None)
    cache.mkdir(parents=True, exist_ok=True)
    span = bool(getattr(net, "span", False))
    key = _index_key(clips, index, spec, net.backbone_name,
                     net.adapter.offset_db.detach().cpu().numpy().astype(np.float32), span)
    final = cache / f"emb-{key}.npy"
    if final.exists():
        return np.load(final)
    if span:
        return _span_embeddings(net, clips, index, spec, cache, key, say, cancel)
    chunk = 256
    parts = []
    t0 = time.perf_counter()
    net.eval()
    for k, i0 in enumerate(range(0, len(index), chunk)):
        part_path = cache / f"emb-{key}.part{k:04d}.npy"
        if part_path.exists():
            parts.append(np.load(part_path))
            continue
        out = []
        with torch.inference_mode():
            for i in range(i0, min(i0 + chunk, len(index)), batch):
                if cancel is not None and cancel.is_set():
                    raise Cancelled("cancelled while computing musicnn features; run again to resume")
                x = torch.from_numpy(batch_inputs(clips, index[i:min(i + batch, i0 + chunk)], spec))
                out.append(net.embed(x).numpy())
        arr = np.concatenate(out).astype(np.float32)
        np.save(part_path, arr)
        parts.append(arr)
        done = min(i0 + chunk, len(index))
        say(f"musicnn features: {done}/{len(index)} windows ({done / (time.perf_counter() - t0):.1f} windows/s)")
    emb = np.concatenate(parts)
    np.save(final, emb)
    for p in cache.glob(f"emb-{key}.part*.npy"):
        p.unlink()
    return emb


def _span_embeddings(net, clips, index, spec: FeatureSpec, cache: Path, key: str, say, cancel) -> np.ndarray:
    """:func:`cached_embeddings` for a span net: each clip's front end once, its windows pooled from it (the
    clip scaled as one window, as the app scales a track); saved every 32 clips, so a cancelled run resumes."""
    import torch

    from genrelab.errors import Cancelled
    from genrelab.model.span import columns_for, scaled_spans
    from training.clips import fit_to_window, rows_by_clip

    context = columns_for(net.context_s, spec)
    rows_of = rows_by_clip(index)
    order = list(rows_of)
    out = np.zeros((len(index), 2 * net.backbone.channels), np.float32)
    t0 = time.perf_counter()
    net.eval()
    chunk = 32
    for part, i0 in enumerate(range(0, len(order), chunk)):
        part_path = cache / f"emb-{key}.span{part:04d}.npy"
        members = [r for c in order[i0:i0 + chunk] for r in rows_of[c]]
        if part_path.exists():
            out[members] = np.load(part_path)
            continue
        for c in order[i0:i0 + chunk]:
            if cancel is not None and cancel.is_set():
                raise Cancelled("cancelled while computing musicnn features; run again to resume")
            rows = rows_of[c]
            starts = np.array([index[r][1] for r in rows], np.int64)
            with torch.inference_mode():
                for sel, x, rel in scaled_spans(fit_to_window(clips[c].db, spec), starts, spec, context):
                    out[np.asarray(rows)[sel]] = net.embed_span(torch.from_numpy(x), torch.from_numpy(rel)).numpy()
        np.save(part_path, out[members])
        done = min(i0 + chunk, len(order))
        say(f"musicnn features: {done}/{len(order)} clips ({done / (time.perf_counter() - t0):.2f} clips/s)")
    final = cache / f"emb-{key}.npy"
    np.save(final, out)
    for p in cache.glob(f"emb-{key}.span*.npy"):
        p.unlink()
    return out


def same_columns(teacher: FeatureSpec, student: FeatureSpec) -> bool:
    """Whether a teacher can answer the student's windows: the same features up to the level floor
    (``top_db``, which each model applies itself) and to the rounding of the frame stride (a stride typed to 4
    decimals, e.g. 3.3368 for the GTZAN images' 3.33677..., moves no column by more than a frame's 1/100 in 30 s),
    with the same number of columns per window."""
    if abs(teacher.frame_stride - student.frame_stride) > 1e-4 * teacher.frame_stride:
        return False
    if teacher.window_columns != student.window_columns:
        return False
    return teacher.with_(top_db=student.top_db, frame_stride=student.frame_stride) == student


def _load_teacher(model_path: Path, spec: FeatureSpec, workdir: Path, labels: list[str] | None = None):
    """(net in eval mode, card, feature cache folder) of a musicnn teacher for a student trained on ``spec``;
    ValueError when it is not a musicnn transfer model, reads other features (its ``top_db`` may differ) or does
    not know every genre in ``labels`` (the student's)."""
    from genrelab.model.torch_weights import net_from_onnx

    net, card = net_from_onnx(Path(model_path))
    if card.architecture != "musicnn_transfer":
        raise ValueError(f"{model_path}: the teacher must be a musicnn_transfer model (not {card.architecture})")
    if not same_columns(card.spec, spec):
        differ = [f"{k} {a} (teacher) vs {b}" for k, a in card.spec.to_dict().items()
                  if k != "top_db" and a != (b := spec.to_dict().get(k))]
        raise ValueError(f"{Path(model_path).name}: the teacher reads other features than this run "
                         f"({'; '.join(differ)}): give this run the teacher's")
    unknown = [x for x in labels or () if x not in card.labels]
    if unknown:
        raise ValueError(f"{Path(model_path).name}: the teacher does not know {', '.join(unknown)} (it knows "
                         f"{', '.join(card.labels)}): a teacher must know every genre of the run")
    return net.eval(), card, Path(os.environ.get("GENRELAB_MUSICNN_CACHE", Path(workdir) / "musicnn-cache"))


def _student_columns(answers: np.ndarray, card, labels: list[str] | None) -> np.ndarray:
    """A teacher's answers (N, its classes) cut to the student's ``labels``, in their order (all when None): a
    softmax over them is the teacher's answer given that the music is one of the student's genres."""
    return answers if labels is None else answers[:, [list(card.labels).index(x) for x in labels]]


def teacher_logits(model_path: Path, clips, index, spec: FeatureSpec, workdir: Path, *, log=None,
                   cancel=None, oof_folds: int = 0, seed: int = 0, labels: list[str] | None = None) -> np.ndarray:
    """A musicnn transfer model's logits (N, n_classes) on windows ``index`` (its features from the cache);
    with ``labels`` (the student's genres, which the teacher must know) only those columns, in that order.

    The teacher sees the windows as its own spec scales them (its ``top_db`` may differ from the student's);
    the windows must be the same columns (same bands, stride and length).

    ``oof_folds`` > 1: instead of the teacher's own head (which has seen these very windows and answers them
    almost perfectly: little to learn from), out-of-fold answers: a logistic regression on the teacher's
    features is fitted on the other folds' clips (clips split into ``oof_folds`` groups) and answers each
    fold's windows, as the teacher would answer music it has not seen.
    """
    import torch

    net, card, cache = _load_teacher(model_path, spec, workdir, labels)
    emb = cached_embeddings(net, clips, index, card.spec, cache, log=log, cancel=cancel)
    if oof_folds > 1:
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        present = sorted({c.label for c in clips})
        y = np.array([present.index(clips[c].label) for c, _ in index])
        clip_of = np.array([c for c, _ in index])
        fold_of_clip = np.random.default_rng(seed).permutation(len(clips)) % oof_folds
        out = np.zeros((len(index), len(card.labels)), np.float32)
        for f in range(oof_folds):
            held = fold_of_clip[clip_of] == f
            scaler = StandardScaler().fit(emb[~held])
            model = LogisticRegression(C=0.01, max_iter=3000).fit(scaler.transform(emb[~held]), y[~held])
            proba = np.full((held.sum(), len(card.labels)), 1e-6)
            proba[:, [card.labels.index(present[k]) for k in model.classes_]] = model.predict_proba(
                scaler.transform(emb[held]))
            out[held] = np.log(np.maximum(proba, 1e-6))
        return _student_columns(out, card, labels)
    with torch.inference_mode():
        return _student_columns(net.classify(torch.from_numpy(emb)).numpy(), card, labels)


def teacher_view_logits(model_path: Path, train, views, source, index, spec: FeatureSpec, workdir: Path, *,
                        folds: int, seed: int, log=None, cancel=None,
                        components: int = 0, labels: list[str] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """A musicnn teacher's out-of-fold log-probabilities (N, n_classes) on windows ``index`` of ``train + views``.

    The teacher's own recipe, refitted per clip fold: its features of every train window at 0.75-s hops, a
    shrinkage LDA fitted on the other folds' clips and softened by the temperature fitted out-of-fold on all
    train clips (:func:`_oof_temperature`), answers the windows of each fold's clips and of their views
    (:mod:`training.views`: a view's partner clip is in its fold, so neither was seen by the head).

    Returns ``(log-probabilities, features)``: with ``components`` > 0 the second is the teacher's standardised
    features of the same windows on their first ``components`` principal axes (fitted on the train windows;
    scaled to a mean square of 1 per window), for a student that also learns to predict them; else None.
    """
    from scipy.special import log_softmax
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.preprocessing import StandardScaler

    from training.clips import all_windows
    from training.views import view_folds

    net, card, cache = _load_teacher(model_path, spec, workdir, labels)
    dense = all_windows(train, card.spec, 0.75)
    x_dense = cached_embeddings(net, train, dense, card.spec, cache, log=log, cancel=cancel)
    n_train = len(train)
    view_rows = [k for k, (c, _s) in enumerate(index) if c >= n_train]
    view_index = [(index[k][0] - n_train, index[k][1]) for k in view_rows]
    x_views = cached_embeddings(net, views, view_index, card.spec, cache, log=log, cancel=cancel) if view_rows \
        else np.zeros((0, x_dense.shape[1]), np.float32)
    y_dense = np.array([card.labels.index(train[c].label) for c, _ in dense])
    clip_dense = np.array([c for c, _ in dense])
    scaler = StandardScaler().fit(x_dense)
    z_dense = scaler.transform(x_dense)

    def make():
        return LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")

    temp = _oof_temperature(make, z_dense, y_dense, clip_dense, seed)
    fold = view_folds(n_train, folds, seed)
    starts_of: dict[int, tuple[np.ndarray, list[int]]] = {}
    for k, (c, s) in enumerate(dense):
        starts_of.setdefault(c, ([], []))
        starts_of[c][0].append(s)
        starts_of[c][1].append(k)
    out = np.zeros((len(index), len(card.labels)), np.float32)
    view_pos = {k: j for j, k in enumerate(view_rows)}
    n_classes = len(card.labels)
    targets = None
    if components:
        from sklearn.decomposition import PCA

        pca = PCA(components, random_state=seed).fit(z_dense)
        norm = float(np.sqrt(pca.explained_variance_.sum()))
        targets = np.zeros((len(index), components), np.float32)
    for f in range(folds):
        head = make().fit(z_dense[fold[clip_dense] != f], y_dense[fold[clip_dense] != f])
        rows, feats = [], []
        for k, (c, s) in enumerate(index):
            owner = c if c < n_train else source[c - n_train]
            if fold[owner] != f:
                continue
            if c < n_train:  # the nearest 0.75-s window of the same clip (the 3-s grid is a subset of it)
                st, ks = starts_of[c]
                feats.append(z_dense[ks[int(np.argmin(np.abs(np.asarray(st) - s)))]])
            else:
                feats.append(scaler.transform(x_views[view_pos[k]][None])[0])
            rows.append(k)
        if rows:
            out[rows] = log_softmax(_decision(head, np.asarray(feats), n_classes, absent=-30.0) / temp, axis=1)
            if targets is not None:
                targets[rows] = pca.transform(np.asarray(feats)) / norm
    if log:
        log(f"teacher views: LDA per fold ({folds}), temperature {temp:.2f}, {len({c.label for c in train})} genres"
            + (f", features on {components} principal axes "
               f"({pca.explained_variance_ratio_.sum():.0%} of their variance)" if components else ""))
    return _student_columns(out, card, labels), targets


def fit_frozen(train, valid, spec: FeatureSpec, labels: list[str], config, workdir: Path, *, on_epoch=None,
               cancel=None, log=None):
    """Train the head of a frozen-backbone musicnn transfer net on cached backbone features.

    Train windows: every ``config.windows_per_clip`` evenly spaced windows... in practice all non-overlapping
    3-s windows of each clip (plus their half-window shifts with the ``shift`` augmentation); valid windows at
    ``config.eval_hop_s``. Mixup (``mixup``) and feature dropout act on the cached features.
    """
    import torch
    from torch import nn

    from training.clips import all_windows
    from training.trainer import EpochStats, FitResult, mixup_forward, track_accuracy

    say = log or (lambda _s: None)
    torch.set_num_threads(config.threads or os.cpu_count() or 1)
    torch.manual_seed(config.seed)
    backbone, finetune = config.backbone, config.finetune
    net = build_transfer(spec, len(labels), backbone=backbone, finetune=finetune, hidden=config.hidden)
    cache = Path(os.environ.get("GENRELAB_MUSICNN_CACHE", Path(workdir) / "musicnn-cache"))
    label_ix = {name: i for i, name in enumerate(labels)}
    t_start, c_start = time.perf_counter(), time.process_time()
    hop_train = config.train_hop_s or (spec.window_s / 2 if "shift" in config.augment else spec.window_s)
    tr_index = all_windows(train, spec, hop_train)
    va_index = all_windows(valid, spec, config.eval_hop_s)
    say(f"musicnn ({backbone}) frozen: features of {len(tr_index)} train and {len(va_index)} valid windows "
        f"(cache {cache})")
    x_tr = cached_embeddings(net, train, tr_index, spec, cache, log=say, cancel=cancel)
    x_va = cached_embeddings(net, valid, va_index, spec, cache, log=say, cancel=cancel)
    y_tr = np.array([label_ix[train[c].label] for c, _ in tr_index], np.int64)
    y_valid = np.array([label_ix[c.label] for c in valid], np.int64)
    va_clip = np.array([c for c, _ in va_index], np.int64)

    if config.hidden == 0:
        return _fit_linear(net, x_tr, y_tr, x_va, va_clip, y_valid, va_index, valid, spec, config, say, on_epoch,
                           t_start, c_start, clip_tr=np.array([c for c, _ in tr_index], np.int64))
    head = net.head
    opt = torch.optim.AdamW(head.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    xt, yt, xv = torch.from_numpy(x_tr), torch.from_numpy(y_tr), torch.from_numpy(x_va)
    history, best, best_state, best_epoch, bad = [], None, None, 0, 0
    stopped = "max_epochs"
    for epoch in range(1, config.epochs + 1):
        t0 = time.perf_counter()
        rng = np.random.default_rng([config.seed, epoch])
        torch.manual_seed(config.seed * 100_003 + epoch)
        head.train()
        order = torch.from_numpy(rng.permutation(len(xt)))
        loss_sum, correct = 0.0, 0
        for i in range(0, len(order), config.batch_size):
            sel = order[i:i + config.batch_size]
            xb, yb = xt[sel], yt[sel]
            logits, loss, _, _ = mixup_forward(head, xb, yb, loss_fn, rng, "mixup" in config.augment)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(sel)
            correct += int((logits.argmax(1) == yb).sum())
        head.eval()
        with torch.inference_mode():
            probs = torch.softmax(head(xv), dim=1).numpy()
        y_win = y_valid[va_clip]
        v_loss = float(-np.log(np.maximum(probs[np.arange(len(y_win)), y_win], 1e-9)).mean())
        v_acc = float((probs.argmax(1) == y_win).mean())
        v_track = track_accuracy(probs, va_clip, y_valid)
        dt = time.perf_counter() - t0
        stats = EpochStats(epoch, loss_sum / len(xt), correct / len(xt), v_loss, v_acc, v_track, dt, len(xt) / dt,
                           opt.param_groups[0]["lr"])
        history.append(stats)
        score = {"valid_acc": v_acc, "valid_loss": -v_loss, "valid_track_acc": v_track + 1e-3 * v_acc}[config.monitor]
        if best is None or score > best:
            best, best_epoch, bad, best_state = score, epoch, 0, copy.deepcopy(head.state_dict())
        else:
            bad += 1
        say(f"epoch {epoch:3d}  loss {stats.train_loss:.3f} acc {stats.train_acc:.3f} | valid loss {v_loss:.3f} "
            f"acc {v_acc:.3f} track {v_track:.3f}{'  *' if best_epoch == epoch else ''}")
        if on_epoch:
            on_epoch(stats)
        if bad >= config.patience:
            stopped = "early_stop"
            break
    head.load_state_dict(best_state)
    net.eval()
    _prefill_cache(net, valid, va_index, x_va, spec)
    return FitResult(net, history, best_epoch, stopped, time.perf_counter() - t_start,
                     time.process_time() - c_start, config)


LINEAR_C = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
OOF_FOLDS = 5


def _decision(model, z: np.ndarray, n_classes: int, absent: float = -1e9) -> np.ndarray:
    """A fitted linear classifier's decision values (N, n_classes); a class it never saw scores ``absent``;
    a two-class model's one value d becomes (-d/2, d/2) (the same softmax as its sigmoid)."""
    d = model.decision_function(z)
    if d.ndim == 1:
        d = np.stack([-d / 2, d / 2], axis=1)
    out = np.full((len(z), n_classes), absent)
    out[:, model.classes_] = d
    return out


def _oof_temperature(make, z_tr: np.ndarray, y_tr: np.ndarray, clip_tr: np.ndarray, seed: int) -> float:
    """The softmax temperature that makes a linear head's answers honest: fitted (minimum log loss) on out-of-fold
    decision values of the train windows, the clips split into :data:`OOF_FOLDS` groups (valid is not used)."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    fold = np.random.default_rng(seed).permutation(int(clip_tr.max()) + 1) % OOF_FOLDS
    n_classes = int(y_tr.max()) + 1
    oof = np.zeros((len(z_tr), n_classes))
    for f in range(OOF_FOLDS):
        held = fold[clip_tr] == f
        if not held.any():
            continue
        if len(np.unique(y_tr[~held])) < 2:  # too few clips to hold any out: no temperature
            return 1.0
        oof[held] = _decision(make().fit(z_tr[~held], y_tr[~held]), z_tr[held], n_classes, absent=-30.0)

    def nll(t: float) -> float:
        return float(-log_softmax(oof / t, axis=1)[np.arange(len(y_tr)), y_tr].mean())

    return float(minimize_scalar(nll, bounds=(0.05, 50.0), method="bounded").x)


def _fit_linear(net, x_tr, y_tr, x_va, va_clip, y_valid, va_index, valid, spec, config, say, on_epoch, t_start,
                c_start, clip_tr=None):
    """The linear head on standardised features, the scaler folded into the torch Linear layer.

    ``config.linear_head``: ``lda`` (default) = shrinkage linear discriminant analysis (Ledoit-Wolf shrinkage,
    nothing chosen on valid); ``logreg`` = L2 logistic regression, its C chosen on valid track accuracy from
    :data:`LINEAR_C`. Either is then divided by a temperature fitted out-of-fold on the train clips
    (:func:`_oof_temperature`), so that its probabilities are not over-confident (accuracy is unchanged per
    window; track accuracy averages the softened probabilities).
    """
    import torch
    from scipy.special import log_softmax
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from training.trainer import EpochStats, FitResult, track_accuracy

    scaler = StandardScaler().fit(x_tr)
    z_tr, z_va = scaler.transform(x_tr), scaler.transform(x_va)
    y_win = y_valid[va_clip]
    n_classes = net.head[0].out_features

    def full(model, z):  # decision values for every class (a class absent from the data scores -1e9)
        return _decision(model, z, n_classes)

    def scored(k, make, label):
        t0 = time.perf_counter()
        model = make().fit(z_tr, y_tr)
        t = _oof_temperature(make, z_tr, y_tr, clip_tr, config.seed) if clip_tr is not None else 1.0
        probs = np.exp(log_softmax(full(model, z_va) / t, axis=1))
        tr_logp = log_softmax(full(model, z_tr) / t, axis=1)
        v_loss = float(-np.log(np.maximum(probs[np.arange(len(y_win)), y_win], 1e-9)).mean())
        v_acc = float((probs.argmax(1) == y_win).mean())
        v_track = track_accuracy(probs, va_clip, y_valid)
        train_loss = float(-tr_logp[np.arange(len(y_tr)), y_tr].mean())
        train_acc = float((tr_logp.argmax(1) == y_tr).mean())
        dt = time.perf_counter() - t0
        stats = EpochStats(k, train_loss, train_acc, v_loss, v_acc, v_track, dt, len(z_tr) / dt, 0.0)
        say(f"linear head {label}, temperature {t:.2f}: train loss {train_loss:.3f} acc {train_acc:.3f} | valid "
            f"loss {v_loss:.3f} acc {v_acc:.3f} track {v_track:.3f}")
        if on_epoch:
            on_epoch(stats)
        return stats, model, t

    history = []
    if config.linear_head == "lda":
        def make():
            return LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")

        stats, model, temp = scored(1, make, "shrinkage LDA")
        history.append(stats)
        best_k, chosen = 1, f"shrinkage LDA (Ledoit-Wolf), temperature {temp:.2f} out-of-fold on train"
    else:
        best = None
        for k, c in enumerate(LINEAR_C, start=1):
            def make(c=c):
                return LogisticRegression(C=c, max_iter=3000, random_state=config.seed)

            stats, model, temp = scored(k, make, f"logistic regression C {c:g}")
            history.append(stats)
            score = stats.valid_track_acc + 1e-3 * stats.valid_acc
            if best is None or score > best[0]:
                best = (score, k, model, temp)
        _, best_k, model, temp = best
        chosen = f"logistic regression C {LINEAR_C[best_k - 1]:g} chosen on valid, temperature {temp:.2f}"
    coef = np.zeros((n_classes, z_tr.shape[1]))
    intercept = np.full(n_classes, -1e9)
    coef[model.classes_] = model.coef_ if len(model.classes_) > 2 else np.vstack([-model.coef_, model.coef_]) / 2
    intercept[model.classes_] = (model.intercept_ if len(model.classes_) > 2
                                 else np.array([-model.intercept_[0], model.intercept_[0]]) / 2)
    w = coef / scaler.scale_[None, :] / temp
    b = (intercept - coef @ (scaler.mean_ / scaler.scale_)) / temp
    linear = net.head[0]
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(w.astype(np.float32)))
        linear.bias.copy_(torch.from_numpy(b.astype(np.float32)))
    net.eval()
    _prefill_cache(net, valid, va_index, x_va, spec)
    return FitResult(net, history, best_k, chosen, time.perf_counter() - t_start, time.process_time() - c_start,
                     config)


def _prefill_cache(net, valid, va_index, x_va, spec) -> None:
    """Let the final evaluation on valid reuse the features of its windows (cleared before export); a span net's
    evaluation runs over whole clips and needs no cache."""
    import torch

    if getattr(net, "span", False):
        return

    from genrelab.model.musicnn import window_key
    from training.clips import batch_inputs

    net.embed_cache = {}
    for i in range(0, len(va_index), 256):
        for row, e in zip(batch_inputs(valid, va_index[i:i + 256], spec), x_va[i:i + 256], strict=True):
            net.embed_cache[window_key(row)] = torch.from_numpy(e)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from genrelab.dsp import GTZAN_IMAGE_STRIDE

    p = argparse.ArgumentParser(prog="python -m training.musicnn_transfer")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("calibrate", help="fit the adapter's per-band offsets on audio files")
    c.add_argument("audio", nargs="+", type=Path)
    c.add_argument("--source", default="", help="words for the card: which clips")
    c.add_argument("--span", action="store_true", help="the span adapter's offsets (levels re the track's maximum)")
    args = p.parse_args(argv)
    if args.cmd == "calibrate":
        spec = FeatureSpec(frame_stride=GTZAN_IMAGE_STRIDE)
        path = write_calibration(args.audio, spec, args.source or f"{len(args.audio)} audio clips", args.span)
        offsets, _ = load_offsets(spec, args.span)
        print(f"wrote {path}: offsets {offsets.min():.1f}..{offsets.max():.1f} dB (median {np.median(offsets):.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
