"""`find_similar`: the library tracks closest to a track of the library, a file (analysed first when it is not
in the library), by genre distribution (Jensen-Shannon) or by the model's sound embedding (cosine)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from genrelab.errors import GenreLabError
from genrelab.library.similar import Neighbour, search
from genrelab.library.similar_default import BY_CHOICES, DEFAULT_BY, resolve_by
from genrelab.library.store import LibraryStore, is_silent


def silent_query(label: str) -> GenreLabError:
    """The error for a silent query track: it has no genre or sound to compare."""
    return GenreLabError(f"{label}: silent (nothing above -80 dBFS), so it has no genre or sound to compare")


@dataclass
class SimilarResult:
    """The query (label, top genre) and its nearest tracks, closest first."""

    query_label: str
    by: str
    searched: int
    neighbours: list[Neighbour] = field(default_factory=list)
    query_genre: str | None = None
    query_confidence: float | None = None
    query_id: int | None = None

    def to_dict(self) -> dict:
        """JSON-ready."""
        return {"query": self.query_label, "query_id": self.query_id, "by": self.by,
                "distance": "jensen-shannon" if self.by == "genre" else "cosine", "searched": self.searched,
                "query_genre": self.query_genre, "query_confidence": self.query_confidence,
                "neighbours": [asdict(n) for n in self.neighbours]}


def find_similar(store: LibraryStore, query: int | str | os.PathLike[str], k: int = 5, *, by: str = DEFAULT_BY,
                 model: str | os.PathLike[str] | None = None) -> SimilarResult:
    """The ``k`` tracks closest to ``query``: a track id, a stored path, or any audio file (analysed with the
    library's model, or ``model``). ``by``: 'genre' (Jensen-Shannon distance of the mean genre distributions,
    the paper's Appendix A), 'sound' (cosine distance of the model's mean embeddings) or 'auto' (see
    :func:`~genrelab.library.similar_default.resolve_by`). Silent tracks are never answers, and a silent query is an error. GenreLabError with a
    clear reason when it cannot answer (empty library, a model without an embedding for ``by='sound'``, a file
    that cannot be decoded...)."""
    resolve_by(by, False)  # an unknown ``by`` is refused before anything is read
    model_id = store.current_model()
    if model_id is None:
        raise GenreLabError(f"{store.path}: the library has no analysed tracks yet (run `genrelab tag DIR`)")
    by = resolve_by(by, store.has_embeddings(model_id))
    row = None
    if isinstance(query, int) or (isinstance(query, str) and query.isdigit() and not os.path.exists(query)):
        row = store.track(int(query))
        if row is None:
            raise GenreLabError(f"no track with id {query} in {store.path}")
    else:
        path = os.path.abspath(os.fspath(query))
        row = store.track(path)
        if row is None and not os.path.exists(path):
            raise GenreLabError(f"{query}: no such file, and no track with this path in the library")
    if row is not None and row.status != "ok":
        raise GenreLabError(f"{row.path}: could not be analysed ({row.error})")
    if row is not None and is_silent(row.flags):
        raise silent_query(row.path)
    if row is not None and row.model_id != model_id:
        row = None if os.path.exists(row.path) else row  # analysed with another model: analyse it again
    ids, vecs, labels = store.matrix("genre" if by == "genre" else "sound", model_id)
    if by == "sound" and len(ids) == 0:
        raise GenreLabError("this library's model has no sound embedding (models exported before the 'embedding' "
                            "output existed); use --by genre, or re-tag with a newer model")
    if row is not None:
        vec = row.mean if by == "genre" else row.embedding
        label, qid, genre, conf = row.path, row.id, row.top_genre, row.confidence
    else:
        vec, label, genre, conf = _analyse_query(store, Path(os.fspath(query)), model, model_id, by)
        qid = None
    if vec is None:
        raise GenreLabError(f"{label}: no sound embedding stored for it (its model has none); use --by genre")
    found = search(vec, ids, vecs, k, by=by, exclude_id=qid)
    neighbours = []
    for i, d in found:
        r = store.track(i)
        if r is not None:
            neighbours.append(Neighbour(i, r.path, d, r.top_genre, r.confidence))
    return SimilarResult(label, by, int(len(ids)), neighbours, genre, conf, qid)


__all__ = ["BY_CHOICES", "DEFAULT_BY", "SimilarResult", "find_similar", "resolve_by", "silent_query"]


def _analyse_query(store: LibraryStore, path: Path, model, model_id: str, by: str):
    from genrelab.library.pipeline import analyse_outside, model_id_of

    if model is None:
        row = store.conn.execute("SELECT path FROM models WHERE model_id=?", (model_id,)).fetchone()
        model = row[0] if row else None
        if model is None or not os.path.exists(model):
            raise GenreLabError(f"the library's model ({model}) is not at hand: pass it with --model")
    if model_id_of(model) != model_id:
        raise GenreLabError(f"{model}: not the model this library was analysed with (id {model_id}); its "
                            "distributions would not compare")
    result = analyse_outside(path, model)
    if is_silent(result.flags):
        raise silent_query(str(path))
    labels = store.labels(model_id)
    top = int(np.argmax(result.mean))
    vec = result.mean if by == "genre" else result.embedding
    return vec, str(path), labels[top] if labels else None, float(result.mean[top])
