"""Exports of a library: CSV and JSON of every track, and one M3U playlist per top genre."""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

from genrelab.library.store import LibraryStore

CSV_FIELDS = ("id", "path", "status", "top_genre", "confidence", "duration_s", "flags", "error")


def export_csv(store: LibraryStore, out: str | os.PathLike[str]) -> int:
    """Write every track (analysed and failed) as CSV: the fields above plus one column per genre (the mean
    probability). Returns the number of rows."""
    rows = store.tracks(status=None, with_arrays=True)
    labels = store.labels(store.current_model() or "")
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([*CSV_FIELDS, *labels])
        for r in rows:
            probs = [f"{p:.5f}" for p in r.mean] if r.mean is not None and len(r.mean) == len(labels) else [""] * len(labels)
            w.writerow([r.id, r.path, r.status, r.top_genre or "",
                        "" if r.confidence is None else f"{r.confidence:.5f}",
                        "" if r.duration_s is None else f"{r.duration_s:.3f}", ";".join(r.flags), r.error or "",
                        *probs])
    return len(rows)


def export_json(store: LibraryStore, out: str | os.PathLike[str]) -> int:
    """Write ``{"labels": [...], "tracks": [...]}`` with each track's fields and genre distribution."""
    rows = store.tracks(status=None, with_arrays=True)
    tracks = [r.to_dict(store.labels(r.model_id) if r.mean is not None else None) for r in rows]
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"db": str(store.path), "labels": store.labels(store.current_model() or ""), "tracks": tracks},
                  f, indent=1, ensure_ascii=False)
        f.write("\n")
    return len(rows)


def export_m3u(store: LibraryStore, folder: str | os.PathLike[str]) -> dict[str, Path]:
    """One extended M3U playlist per top genre (``<genre>.m3u``, UTF-8, absolute paths) in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for genre in store.genre_counts():
        path = folder / f"{re.sub(r'[^A-Za-z0-9_-]+', '_', genre)}.m3u"
        with open(path, "w", encoding="utf-8") as f:
            f.write("#EXTM3U\n")
            for r in store.tracks(genre=genre, order_by="confidence", descending=True):
                f.write(f"#EXTINF:{int(round(r.duration_s or -1))},{Path(r.path).stem}\n{r.path}\n")
        out[genre] = path
    return out
