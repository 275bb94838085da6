"""Evaluation at window level (as the paper) and at track level (mean of a track's window probabilities).

Scores: accuracy, weighted precision / recall / F1 (sklearn), per-genre recall and the confusion matrix.
:func:`evaluate_model` runs an exported ONNX model (ONNX Runtime, the app's engine) over labelled clips.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genrelab.dsp import FeatureSpec
from genrelab.errors import GenreLabError
from genrelab.progress import CancelToken, ProgressFn, check_cancel, report
from training.clips import Clip, all_windows, batch_inputs


@dataclass
class Scores:
    """Classification scores of one set of predictions.

    Attributes:
        accuracy: fraction correct.
        precision, recall, f1: weighted by each genre's support (the paper's "weighted averages").
        per_genre_recall: recall of each genre (None for a genre with no examples).
        confusion: rows = true genre, columns = predicted genre (label order).
        n: number of predictions.
    """

    accuracy: float
    precision: float
    recall: float
    f1: float
    per_genre_recall: dict[str, float | None]
    confusion: list[list[int]]
    n: int

    def to_dict(self) -> dict:
        return {"accuracy": self.accuracy, "precision": self.precision, "recall": self.recall, "f1": self.f1,
                "per_genre_recall": dict(self.per_genre_recall), "confusion": self.confusion, "n": self.n}


@dataclass
class Evaluation:
    """Window- and track-level scores of a model on a set of clips."""

    labels: list[str]
    window: Scores
    track: Scores
    n_clips: int
    n_windows: int

    def to_dict(self) -> dict:
        return {"labels": list(self.labels), "window": self.window.to_dict(), "track": self.track.to_dict(),
                "n_clips": self.n_clips, "n_windows": self.n_windows}

    def card_metrics(self) -> dict:
        """The flat numbers a model card carries for one part (valid / test)."""
        return {
            "window_accuracy": round(self.window.accuracy, 4),
            "track_accuracy": round(self.track.accuracy, 4),
            "window_precision": round(self.window.precision, 4),
            "window_recall": round(self.window.recall, 4),
            "window_f1": round(self.window.f1, 4),
            "track_f1": round(self.track.f1, 4),
            "clips": self.n_clips,
            "windows": self.n_windows,
            "per_genre_recall": {k: (None if v is None else round(v, 4)) for k, v in self.track.per_genre_recall.items()},
        }


def scores(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> Scores:
    """Scores of integer predictions against integer truths (both in ``range(len(labels))``)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y_true = np.asarray(y_true, np.int64)
    y_pred = np.asarray(y_pred, np.int64)
    ids = list(range(len(labels)))
    if len(y_true) == 0:
        return Scores(0.0, 0.0, 0.0, 0.0, dict.fromkeys(labels), [[0] * len(labels) for _ in labels], 0)
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=ids, average="weighted", zero_division=0)
    cm = confusion_matrix(y_true, y_pred, labels=ids)
    support = cm.sum(axis=1)
    recall = {name: (float(cm[i, i] / support[i]) if support[i] else None) for i, name in enumerate(labels)}
    return Scores(float((y_true == y_pred).mean()), float(p), float(r), float(f), recall, cm.tolist(), len(y_true))


def track_probabilities(window_probs: np.ndarray, clip_of: np.ndarray, n_clips: int) -> np.ndarray:
    """(n_clips, C): each clip's mean window probability (a clip without windows gets zeros)."""
    sums = np.zeros((n_clips, window_probs.shape[1]), np.float64)
    np.add.at(sums, clip_of, window_probs)
    counts = np.bincount(clip_of, minlength=n_clips)[:, None]
    return sums / np.maximum(counts, 1)


def label_indices(clips: list[Clip], labels: list[str]) -> np.ndarray:
    """Each clip's label as an index into ``labels``; GenreLabError naming genres the model does not know."""
    index = {name: i for i, name in enumerate(labels)}
    unknown = sorted({c.label for c in clips} - set(index))
    if unknown:
        raise GenreLabError(f"the data has genre(s) the model does not know: {', '.join(unknown)} "
                            f"(model genres: {', '.join(labels)})")
    return np.array([index[c.label] for c in clips], np.int64)


def evaluate(window_probs: np.ndarray, clip_of: np.ndarray, clips: list[Clip], labels: list[str]) -> Evaluation:
    """Scores of window probabilities (N, C) whose clip index is ``clip_of`` (N,)."""
    y_clip = label_indices(clips, labels)
    y_win = y_clip[clip_of] if len(clip_of) else np.zeros(0, np.int64)
    window = scores(y_win, window_probs.argmax(1) if len(window_probs) else y_win, labels)
    tracks = track_probabilities(window_probs, clip_of, len(clips)) if len(window_probs) else np.zeros((0, 1))
    track = scores(y_clip, tracks.argmax(1) if len(tracks) else y_clip, labels)
    return Evaluation(list(labels), window, track, len(clips), len(clip_of))


def evaluate_net(net, clips: list[Clip], spec: FeatureSpec, labels: list[str], hop_s: float = 1.0,
                 batch_size: int = 64) -> Evaluation:
    """Evaluate a torch net (:func:`training.trainer.predict_clips`) on clips, windows every ``hop_s``."""
    from training.trainer import predict_clips

    probs, clip_of = predict_clips(net, clips, spec, hop_s=hop_s, batch_size=batch_size)
    return evaluate(probs, clip_of, clips, labels)


def predict_engine(engine, clips: list[Clip], spec: FeatureSpec, hop_s: float = 1.0, batch_size: int = 64,
                   progress: ProgressFn | None = None, cancel: CancelToken | None = None):
    """(window probabilities, clip index per window) of an engine over every window at ``hop_s``."""
    index = all_windows(clips, spec, hop_s)
    if engine.is_span:  # a span model answers each clip's windows from one pass over the clip, as in the app
        return _predict_engine_span(engine, clips, spec, index, progress, cancel)
    out = []
    for i in range(0, len(index), batch_size):
        check_cancel(cancel)
        out.append(engine.predict(batch_inputs(clips, index[i : i + batch_size], spec)))
        report(progress, (i + batch_size) / max(len(index), 1), "evaluating")
    n = len(engine.card.labels)
    probs = np.concatenate(out) if out else np.zeros((0, n), np.float32)
    return probs, np.array([c for c, _ in index], np.int64)


def _predict_engine_span(engine, clips: list[Clip], spec: FeatureSpec, index: list[tuple[int, int]],
                         progress: ProgressFn | None, cancel: CancelToken | None):
    from genrelab.model.span import span_predict
    from training.clips import fit_to_window, rows_by_clip

    rows_of = rows_by_clip(index)
    probs = np.zeros((len(index), len(engine.card.labels)), np.float32)
    for n, (c, rows) in enumerate(rows_of.items()):
        check_cancel(cancel)
        starts = np.array([index[r][1] for r in rows], np.int64)
        probs[rows], _ = span_predict(engine, fit_to_window(clips[c].db, spec), starts)
        report(progress, (n + 1) / len(rows_of), "evaluating")
    return probs, np.array([c for c, _ in index], np.int64)


def evaluate_model(onnx_path: str | Path, clips: list[Clip], hop_s: float = 1.0, *, batch_size: int = 64,
                   threads: int | None = None, progress: ProgressFn | None = None,
                   cancel: CancelToken | None = None) -> Evaluation:
    """Evaluate an exported model with ONNX Runtime (:class:`genrelab.model.engine.OnnxEngine`).

    The clips must have been computed with the model card's spec (``genrelab evaluate`` does that).
    """
    from genrelab.model.engine import OnnxEngine

    engine = OnnxEngine(onnx_path, device="cpu", threads=threads)
    labels = list(engine.card.labels)
    label_indices(clips, labels)  # fail early on unknown genres
    probs, clip_of = predict_engine(engine, clips, engine.card.spec, hop_s, batch_size, progress, cancel)
    return evaluate(probs, clip_of, clips, labels)


def format_evaluation(ev: Evaluation, title: str = "") -> str:
    """Plain-text summary for the terminal: both levels, per-genre recall and the track confusion matrix."""
    lines = [title] if title else []
    for level, s in (("window", ev.window), ("track", ev.track)):
        lines.append(f"{level:6s} n={s.n:<6d} accuracy {s.accuracy:.3f}  precision {s.precision:.3f}  "
                     f"recall {s.recall:.3f}  F1 {s.f1:.3f}")
    recall = "  ".join(f"{k} {v:.2f}" for k, v in ev.track.per_genre_recall.items() if v is not None)
    lines.append(f"per-genre recall (track): {recall}")
    width = max(6, *(len(x) for x in ev.labels))
    lines.append("confusion (track; rows true, columns predicted):")
    lines.append(" " * (width + 1) + " ".join(f"{x[:5]:>5s}" for x in ev.labels))
    for name, row in zip(ev.labels, ev.track.confusion, strict=True):
        lines.append(f"{name:>{width}s} " + " ".join(f"{v:5d}" for v in row))
    return "\n".join(lines)
