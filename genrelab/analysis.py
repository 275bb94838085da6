"""Sliding-window genre analysis: audio in, a `Timeline` of genre probabilities and a `Summary` out.

Every consumer (GUI, CLI, library tagging) calls :func:`analyse` or :func:`analyse_file`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genrelab.audio import Audio, from_array, load
from genrelab.dsp import TrackFeatures, model_inputs, track_features, window_centres, window_starts
from genrelab.dsp import windows as dsp_windows
from genrelab.errors import AnalysisError
from genrelab.model.engine import Engine
from genrelab.model.span import span_predict
from genrelab.progress import CancelToken, ProgressFn, check_cancel, report

SILENCE_RMS = 1e-4  # about -80 dBFS
LOW_CONFIDENCE = 0.35  # mean probability of the top genre below this is flagged
MIN_SEGMENT_S = 4.0


@dataclass
class Timeline:
    """Genre probabilities per window.

    Attributes:
        times: window centre times in seconds (n_windows,).
        starts: window start times in seconds (n_windows,).
        probs: (n_windows, n_genres) float32, rows sum to 1.
        labels: genre names, column order of ``probs``.
        window_s: window length in seconds.
    """

    times: np.ndarray
    starts: np.ndarray
    probs: np.ndarray
    labels: list[str]
    window_s: float

    def at(self, t: float) -> np.ndarray:
        """Probabilities of the window whose centre is nearest to time ``t``."""
        return self.probs[int(np.argmin(np.abs(self.times - t)))]


@dataclass
class Segment:
    """A stretch of the track where one genre dominates."""

    start_s: float
    end_s: float
    genre: str
    probability: float


@dataclass
class Summary:
    """Track-level view: mean distribution, top 3, dominant-genre stretches."""

    mean: dict[str, float]
    top3: list[tuple[str, float]]
    segments: list[Segment]

    @property
    def top_genre(self) -> str:
        return self.top3[0][0]


@dataclass
class Analysis:
    """Everything one track's analysis produced."""

    path: Path | None
    duration_s: float
    timeline: Timeline
    summary: Summary
    flags: set[str] = field(default_factory=set)
    features: TrackFeatures | None = None
    engine: str = ""

    def to_dict(self, with_timeline: bool = True) -> dict:
        """JSON-ready dict: path, duration_s, top_genre, probabilities, top3, segments, timeline, flags."""
        out = {
            "path": str(self.path) if self.path else None,
            "duration_s": round(self.duration_s, 3),
            "top_genre": self.summary.top_genre,
            "probabilities": {k: round(v, 5) for k, v in self.summary.mean.items()},
            "top3": [[g, round(p, 5)] for g, p in self.summary.top3],
            "segments": [
                {"start_s": round(s.start_s, 2), "end_s": round(s.end_s, 2), "genre": s.genre,
                 "probability": round(s.probability, 4)} for s in self.summary.segments
            ],
            "flags": sorted(self.flags),
        }
        if with_timeline:
            out["timeline"] = {
                "labels": list(self.timeline.labels),
                "times": [round(float(t), 3) for t in self.timeline.times],
                "probs": np.round(self.timeline.probs, 5).tolist(),
            }
        return out


def summarise(timeline: Timeline, duration_s: float) -> Summary:
    """Mean distribution, top 3 and dominant-genre stretches (short blips merged into their neighbours)."""
    labels = timeline.labels
    mean = timeline.probs.mean(axis=0)
    order = np.argsort(mean)[::-1]
    mean_d = {labels[i]: float(mean[i]) for i in order}
    top3 = [(labels[i], float(mean[i])) for i in order[:3]]
    return Summary(mean=mean_d, top3=top3, segments=dominant_segments(timeline, duration_s))


def dominant_segments(timeline: Timeline, duration_s: float, min_s: float = MIN_SEGMENT_S) -> list[Segment]:
    """Runs of windows with the same top genre (after a 5-window moving average), shorter runs absorbed."""
    probs = timeline.probs
    if len(probs) == 0:
        return []
    k = min(5, len(probs))
    kernel = np.ones(k) / k
    smooth = np.stack([np.convolve(np.pad(c, (k // 2, k - 1 - k // 2), mode="edge"), kernel, "valid")
                       for c in probs.T], axis=1)
    top = smooth.argmax(axis=1)
    times = timeline.times
    bounds = np.concatenate([[0.0], (times[1:] + times[:-1]) / 2, [duration_s]])
    runs: list[list[int]] = []  # [genre, first window, last window]
    for i, g in enumerate(top):
        if runs and runs[-1][0] == g:
            runs[-1][2] = i
        else:
            runs.append([int(g), i, i])
    changed = True
    while changed and len(runs) > 1:  # absorb the shortest too-short run into its longer neighbour
        changed = False
        lengths = [bounds[r[2] + 1] - bounds[r[1]] for r in runs]
        i = int(np.argmin(lengths))
        if lengths[i] < min_s:
            j = i - 1 if i == len(runs) - 1 or (i > 0 and lengths[i - 1] >= lengths[i + 1]) else i + 1
            lo, hi = min(i, j), max(i, j)
            keep = runs[j][0]
            runs[lo:hi + 1] = [[keep, runs[lo][1], runs[hi][2]]]
            changed = True
            merged = True
            while merged:  # neighbours of the same genre join
                merged = False
                for a in range(len(runs) - 1):
                    if runs[a][0] == runs[a + 1][0]:
                        runs[a:a + 2] = [[runs[a][0], runs[a][1], runs[a + 1][2]]]
                        merged = True
                        break
    return [
        Segment(float(bounds[a]), float(bounds[b + 1]), timeline.labels[g], float(probs[a:b + 1, g].mean()))
        for g, a, b in runs
    ]


def analyse(
    audio: Audio,
    engine: Engine,
    hop_s: float = 0.5,
    *,
    batch_size: int = 32,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Analysis:
    """Run ``engine`` over windows every ``hop_s`` seconds of ``audio``.

    Audio at another rate is resampled to the model's. Tracks shorter than one window are zero-padded to one
    window and flagged ``short``; under 0.5 s raises AnalysisError. Flags: ``short``, ``silent``,
    ``low_confidence`` plus the decoder's (``truncated``, ``repaired``).
    """
    spec = engine.card.spec
    name = audio.source.name if audio.source else "audio"
    if hop_s <= 0:
        raise AnalysisError(f"hop must be positive (got {hop_s})")
    if audio.sr != spec.sr:
        audio = from_array(audio.samples, audio.sr, target_sr=spec.sr, source=audio.source)
    duration = len(audio.samples) / spec.sr
    if duration < spec.min_duration_s:
        raise AnalysisError(f"{name}: too short to analyse ({duration:.2f} s; needs at least {spec.min_duration_s:g} s)")
    flags = set(getattr(audio, "flags", set()))
    y = audio.samples
    if len(y) < int(round(spec.window_s * spec.sr)):
        y = np.pad(y, (0, int(round(spec.window_s * spec.sr)) - len(y)))
        flags.add("short")
    if float(np.sqrt(np.dot(y, y) / len(y))) < SILENCE_RMS:  # BLAS dot: no temporary, no long GIL hold
        flags.add("silent")
    feats = track_features(y, spec, progress=lambda f, m: report(progress, 0.15 * f, "features"), cancel=cancel)
    starts = window_starts(feats.n_columns, spec, hop_s)
    if engine.is_span:  # front end once per span, pooling and head per window (genrelab.model.span)
        probs, _ = span_predict(engine, feats.db, starts, cancel=cancel,
                                progress=lambda f, m: report(progress, 0.15 + 0.85 * f, m))
    else:
        probs = np.empty((len(starts), len(engine.card.labels)), np.float32)
        for i in range(0, len(starts), batch_size):
            check_cancel(cancel)
            batch = starts[i : i + batch_size]
            probs[i : i + len(batch)] = engine.predict(model_inputs(dsp_windows.cut(feats.db, batch, spec), spec))
            report(progress, 0.15 + 0.85 * (i + len(batch)) / len(starts), "genre model")
    centres = window_centres(feats.frames, starts, spec)
    first = feats.frames[starts] * (spec.hop_length / spec.sr)
    timeline = Timeline(centres, first, probs, list(engine.card.labels), spec.window_s)
    summary = summarise(timeline, duration)
    if summary.top3[0][1] < LOW_CONFIDENCE or "silent" in flags:
        flags.add("low_confidence")
    return Analysis(audio.source, duration, timeline, summary, flags, feats, engine.description)


def analyse_file(
    path: str | Path,
    engine: Engine,
    hop_s: float = 0.5,
    *,
    batch_size: int = 32,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Analysis:
    """Decode ``path`` at the model's rate and :func:`analyse` it (decode is the first 30 % of progress)."""
    audio = load(path, sr=engine.card.spec.sr, progress=lambda f, m: report(progress, 0.3 * f, "decoding"),
                 cancel=cancel)
    return analyse(audio, engine, hop_s, batch_size=batch_size, cancel=cancel,
                   progress=lambda f, m: report(progress, 0.3 + 0.7 * f, m))
