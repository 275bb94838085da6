"""Similar tracks: the library tracks whose genre distribution (the paper's Appendix A) or sound embedding is
closest to a query, by a vectorised search over every stored vector (100,000 tracks in milliseconds)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = 1e-12


def js_distance(query: np.ndarray, dists: np.ndarray) -> np.ndarray:
    """Jensen-Shannon distance (the square root of the JS divergence, base 2, so in [0, 1]) between one
    distribution ``query`` (G,) and each row of ``dists`` (N, G). Rows are renormalised to sum to 1."""
    q = np.asarray(query, np.float64)
    q = np.clip(q, 0, None) / max(q.sum(), EPS)
    p = np.clip(np.asarray(dists, np.float32), 0, None)
    p = p / np.maximum(p.sum(axis=1, keepdims=True), EPS)
    m = 0.5 * (p + q.astype(np.float32))
    log_m = np.log2(np.maximum(m, EPS))
    # KL(p || m) and KL(q || m), with 0 log 0 = 0
    kl_p = (p * (np.log2(np.maximum(p, EPS)) - log_m)).sum(axis=1)
    q32 = q.astype(np.float32)
    kl_q = (q32 * np.log2(np.maximum(q32, EPS))).sum() - log_m @ q32
    js = np.maximum(0.5 * (kl_p + kl_q), 0.0)
    return np.sqrt(js).astype(np.float32)


def cosine_distance(query: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """1 - cosine similarity between ``query`` (D,) and each row of ``vectors`` (N, D), in [0, 2]."""
    q = np.asarray(query, np.float32)
    v = np.asarray(vectors, np.float32)
    norms = np.linalg.norm(v, axis=1) * max(float(np.linalg.norm(q)), EPS)
    return (1.0 - (v @ q) / np.maximum(norms, EPS)).astype(np.float32)


def nearest(distances: np.ndarray, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` smallest distances in increasing order (ties by index), skipping ``exclude``."""
    d = np.asarray(distances, np.float64).copy()
    if exclude is not None and len(exclude):
        d[exclude] = np.inf
    k = int(min(k, int(np.isfinite(d).sum())))
    if k <= 0:
        return np.zeros(0, np.int64)
    part = np.argpartition(d, k - 1)[:k] if k < len(d) else np.arange(len(d))
    return part[np.lexsort((part, d[part]))]


@dataclass
class Neighbour:
    """One similar track: its id, path, distance, top genre."""

    id: int
    path: str
    distance: float
    top_genre: str | None = None
    confidence: float | None = None


def search(query: np.ndarray, ids: np.ndarray, vectors: np.ndarray, k: int = 5, *, by: str = "genre",
           exclude_id: int | None = None) -> list[tuple[int, float]]:
    """(id, distance) of the ``k`` nearest rows: Jensen-Shannon distance for ``by='genre'``, cosine distance
    for ``by='sound'``; ``exclude_id`` (the query track itself) is left out."""
    if len(ids) == 0:
        return []
    d = js_distance(query, vectors) if by == "genre" else cosine_distance(query, vectors)
    exclude = np.flatnonzero(ids == exclude_id) if exclude_id is not None else None
    idx = nearest(d, k, exclude)
    return [(int(ids[i]), float(d[i])) for i in idx]
