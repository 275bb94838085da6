"""The paper's Table 5 baselines: KNN (n = 10, 15, 20) and SVM on flattened raw-audio, STFT and Mel windows.

Each 3-s window is flattened (raw samples, or the app's per-window scaled dB spectrogram), reduced to
``dims`` dimensions by a sparse random projection (Johnson-Lindenstrauss: distances are kept, and a 133,250-dim
STFT window no longer costs gigabytes), standardised (sklearn ``StandardScaler``) and classified. Windows are
the paper's: 5 non-overlapping random 3-s windows per clip (seeded), for training and for testing.
The projection is our addition, for speed on a small CPU; the report says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from genrelab.dsp import FeatureSpec
from genrelab.progress import CancelToken, ProgressFn, check_cancel, report
from training.clips import Clip, batch_inputs, random_windows
from training.evaluate import label_indices, scores

MODELS = ("knn10", "knn15", "knn20", "svm")
REPRESENTATIONS = ("raw", "stft", "mel")
BATCH = 128


@dataclass
class BaselineResult:
    """Window-level scores of one baseline model on one representation."""

    representation: str
    model: str
    accuracy: float
    precision: float
    recall: float
    f1: float
    n_train: int
    n_test: int
    dims: int
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RepresentationData:
    """Clips of one representation (``spec`` says which) for the baselines; ``raw`` decodes ``clip.source``."""

    train: list[Clip]
    test: list[Clip]
    spec: FeatureSpec


def _db_batches(clips: list[Clip], index: list[tuple[int, int]], spec: FeatureSpec) -> Iterator[np.ndarray]:
    native = spec.with_(image="native")
    for i in range(0, len(index), BATCH):
        x = batch_inputs(clips, index[i : i + BATCH], native)
        yield x.reshape(len(x), -1)


def _raw_batches(clips: list[Clip], index: list[tuple[int, int]], spec: FeatureSpec,
                 cancel: CancelToken | None) -> Iterator[np.ndarray]:
    """Raw-audio windows at the same times as the spectrogram windows (decoding each clip once)."""
    from genrelab.audio import load

    n = int(round(spec.window_s * spec.sr))
    by_clip: dict[int, list[int]] = {}
    for c, s in index:
        by_clip.setdefault(c, []).append(s)
    rows = []
    for c in sorted(by_clip):
        check_cancel(cancel)
        y = load(clips[c].source, sr=spec.sr).samples
        for s in by_clip[c]:
            a = int(round(s * spec.column_seconds * spec.sr))
            w = y[a : a + n]
            rows.append(np.pad(w, (0, n - len(w))) if len(w) < n else w)
            if len(rows) == BATCH:
                yield np.stack(rows)
                rows = []
    if rows:
        yield np.stack(rows)


def _ordered(index: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return sorted(index)  # raw batches come clip by clip: keep every representation in the same order


def _features(rep: str, clips: list[Clip], index: list[tuple[int, int]], spec: FeatureSpec, projection,
              cancel: CancelToken | None) -> np.ndarray:
    batches = _raw_batches(clips, index, spec, cancel) if rep == "raw" else _db_batches(clips, index, spec)
    out = []
    for x in batches:
        check_cancel(cancel)
        out.append(projection.transform(x.astype(np.float32)))
    return np.concatenate(out).astype(np.float32)


def _classifier(name: str, n_train: int):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    if name.startswith("knn"):
        return KNeighborsClassifier(n_neighbors=max(1, min(int(name[3:]), n_train)))
    if name == "svm":
        return SVC(kernel="rbf", C=1.0, gamma="scale")
    raise ValueError(f"unknown baseline {name!r}")


def run_baselines(
    data: dict[str, RepresentationData],
    labels: list[str],
    *,
    models: tuple[str, ...] = MODELS,
    windows_per_clip: int = 5,
    dims: int = 512,
    max_train: int = 8000,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> list[BaselineResult]:
    """Fit and score every model on every representation in ``data`` (keys from :data:`REPRESENTATIONS`).

    ``max_train``: at most this many training windows (a seeded subsample beyond it; said in the log).
    """
    from sklearn.preprocessing import StandardScaler
    from sklearn.random_projection import SparseRandomProjection

    say = log or (lambda _s: None)
    results = []
    steps = max(len(data) * (2 + len(models)), 1)
    step = 0
    for rep, d in data.items():
        if rep not in REPRESENTATIONS:
            raise ValueError(f"unknown representation {rep!r}")
        t0 = time.perf_counter()
        rng = np.random.default_rng([seed, 5])
        train_ix = _ordered(random_windows(d.train, d.spec, windows_per_clip, rng))
        test_ix = _ordered(random_windows(d.test, d.spec, windows_per_clip, np.random.default_rng([seed, 6])))
        if len(train_ix) > max_train:
            keep = np.sort(rng.choice(len(train_ix), max_train, replace=False))
            train_ix = [train_ix[i] for i in keep]
            say(f"baselines ({rep}): training on a random {max_train} of the windows")
        n_features = (int(round(d.spec.window_s * d.spec.sr)) if rep == "raw"
                      else d.spec.n_bins * d.spec.window_columns)
        projection = SparseRandomProjection(n_components=min(dims, n_features), random_state=seed)
        projection.fit(np.zeros((2, n_features), np.float32))
        x_train = _features(rep, d.train, train_ix, d.spec, projection, cancel)
        step += 1
        report(progress, step / steps, f"baselines: {rep} features")
        x_test = _features(rep, d.test, test_ix, d.spec, projection, cancel)
        step += 1
        scaler = StandardScaler().fit(x_train)
        x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
        y_train = label_indices(d.train, labels)[[c for c, _ in train_ix]]
        y_test = label_indices(d.test, labels)[[c for c, _ in test_ix]]
        prep = time.perf_counter() - t0
        for name in models:
            check_cancel(cancel)
            t1 = time.perf_counter()
            pred = _classifier(name, len(y_train)).fit(x_train, y_train).predict(x_test)
            s = scores(y_test, pred, labels)
            results.append(BaselineResult(rep, name, s.accuracy, s.precision, s.recall, s.f1, len(y_train),
                                          len(y_test), x_train.shape[1], prep + time.perf_counter() - t1))
            say(f"baseline {name:5s} on {rep:4s}: accuracy {s.accuracy:.3f}  F1 {s.f1:.3f}")
            step += 1
            report(progress, step / steps, f"baselines: {name} on {rep}")
    return results


def describe_method(dims: int = 512, windows_per_clip: int = 5) -> str:
    """How the baselines were made, for the report."""
    return (f"Each 3-s window flattened (raw samples; or the per-window scaled dB spectrogram the networks see), "
            f"reduced to {dims} dimensions by a sparse random projection (our addition, to stay fast on a small CPU), "
            f"standardised (StandardScaler), then KNN (n = 10, 15, 20) or an RBF SVM (C = 1). "
            f"{windows_per_clip} random non-overlapping windows per clip for training and for testing.")


def raw_available(clips: list[Clip]) -> bool:
    """Whether raw audio can be had for these clips (audio files, not images)."""
    return all(c.source is not None and Path(c.source).suffix.lower() != ".png" for c in clips)
