"""Run a *span* model over a track: its front end once over long spans, only pooling and head per window.

A span model (:attr:`genrelab.model.engine.Engine.is_span`) answers every window of a span of columns in one call.
:func:`span_predict` cuts the track into spans of up to :data:`MAX_SPAN_S` seconds, each with the model's context
(``arch_params["span_context_s"]`` on its card) on both sides, so that a window's answer does not depend on how
the track was cut. The whole track is scaled as one window (dB re the track's maximum, floored at ``top_db``):
the model was trained on clips scaled the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from genrelab.dsp import FeatureSpec
from genrelab.dsp.windows import scale
from genrelab.model.card import ModelCard
from genrelab.progress import CancelToken, ProgressFn, check_cancel, report

#: Longest span handed to the model in one call (memory: musicnn's front end holds ~3 MB per second of span).
MAX_SPAN_S = 60.0
#: Windows per call when each window comes with its own context (:func:`predict_windows`).
SPAN_BATCH = 4


def context_columns(card: ModelCard) -> int:
    """Columns of context a span model needs on each side of a window (from its card), plus one for rounding."""
    return columns_for(float(card.arch_params.get("span_context_s", 0.0)), card.spec)


def columns_for(context_s: float, spec: FeatureSpec) -> int:
    """Columns that hold ``context_s`` seconds of context, plus one for rounding."""
    return int(math.ceil(context_s / spec.column_seconds)) + 1


def span_window_spec(card: ModelCard) -> FeatureSpec:
    """The spec of a window *with* a span model's context on both sides (the library decodes these): same columns,
    the window ``2 x context_columns`` wider; a window model's own spec otherwise. The model answers the window
    in the middle: :func:`predict_windows`."""
    spec = card.spec
    if not card.arch_params.get("span"):
        return spec
    return spec.with_(window_s=(spec.window_columns + 2 * context_columns(card)) * spec.column_seconds)


def predict_windows(engine, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(probabilities (B, C), embedding or None) for B model inputs; for a span model each input is a window with
    its context (:func:`span_window_spec`), scaled on its own, and the answer is its middle window's."""
    if engine.is_span:  # the window sits in the middle (any context width, none included)
        offset = np.array([max(0, (inputs.shape[-1] - engine.card.spec.window_columns) // 2)], np.int64)
        # a few windows per call: the front end's intermediate maps grow with the batch (~17 MB per window)
        parts = [engine.predict_span(inputs[i:i + SPAN_BATCH], offset) for i in range(0, len(inputs), SPAN_BATCH)]
        if not parts:
            return np.zeros((0, len(engine.card.labels)), np.float32), None
        embedding = None if parts[0][1] is None else np.concatenate([e for _, e in parts])
        return np.concatenate([p for p, _ in parts]), embedding
    return engine.predict_with_embedding(inputs)


def live_span_first(start: int, card: ModelCard) -> int:
    """First column of the *live* span of the window whose first column is ``start``: its left context
    (:func:`context_columns`), as far back as the input goes (column 0)."""
    return max(0, int(start) - context_columns(card))


def live_span_input(span_db: np.ndarray, spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray]:
    """(span input (1, 1, bins, L) float32, window start ``[L - window_columns]`` int64) for a live span: dB
    columns (bins, L) that *end* with the window, its left context before it (:func:`live_span_first`).

    Live input has no right context: nothing after the newest window has been played yet, so the model sees the
    window as it sees a track's last one (its front end's zero padding past the end). The span is scaled as one
    window (dB re the span's own maximum), as :func:`scaled_spans` scales a whole track.
    """
    offset = span_db.shape[1] - spec.window_columns
    if offset < 0:
        raise ValueError(f"a live span needs at least {spec.window_columns} columns (got {span_db.shape[1]})")
    x = np.ascontiguousarray(scale(span_db[None], spec)[:, None])
    return x, np.array([offset], np.int64)


def span_groups(starts: np.ndarray, n_columns: int, spec: FeatureSpec, context: int,
                max_span_s: float = MAX_SPAN_S) -> list[tuple[int, int, np.ndarray]]:
    """(first column, end column, indices into ``starts``) of each span: consecutive windows while the span,
    context included, stays within ``max_span_s`` (one window at least)."""
    width = spec.window_columns
    limit = max(int(max_span_s / spec.column_seconds), width + 2 * context)
    groups: list[tuple[int, int, np.ndarray]] = []
    i = 0
    while i < len(starts):
        j = i + 1
        while j < len(starts) and starts[j] + width + context - (starts[i] - context) <= limit:
            j += 1
        a = max(0, int(starts[i]) - context)
        b = min(n_columns, int(starts[j - 1]) + width + context)
        groups.append((a, b, np.arange(i, j)))
        i = j
    return groups


def scaled_spans(db: np.ndarray, starts: np.ndarray, spec: FeatureSpec, context: int,
                 max_span_s: float = MAX_SPAN_S) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(rows of ``starts``, span input (1, 1, bins, L) float32, window starts within the span) for each span of a
    track's dB array ``db`` (bins, columns), the whole track scaled as one window (re its maximum)."""
    scaled = scale(db[None], spec)[0]
    starts = np.asarray(starts, np.int64)
    for a, b, rows in span_groups(starts, db.shape[1], spec, context, max_span_s):
        yield rows, np.ascontiguousarray(scaled[None, None, :, a:b]), starts[rows] - a


def span_predict(engine, db: np.ndarray, starts: np.ndarray, *, with_embedding: bool = False,
                 progress: ProgressFn | None = None, cancel: CancelToken | None = None,
                 max_span_s: float = MAX_SPAN_S) -> tuple[np.ndarray, np.ndarray | None]:
    """(probabilities (n, C), embedding (n, D) or None) of a span model for the windows at ``starts`` of a track's
    dB array ``db`` (bins, columns); progress from 0 to 1 over the spans."""
    card = engine.card
    groups = list(scaled_spans(db, starts, card.spec, context_columns(card), max_span_s))
    probs = np.empty((len(starts), len(card.labels)), np.float32)
    embedding: np.ndarray | None = None
    for k, (rows, x, rel) in enumerate(groups):
        check_cancel(cancel)
        p, e = engine.predict_span(x, rel)
        probs[rows] = p
        if with_embedding and e is not None:
            if embedding is None:
                embedding = np.empty((len(starts), e.shape[1]), np.float32)
            embedding[rows] = e
        report(progress, (k + 1) / len(groups), "genre model")
    return probs, embedding
