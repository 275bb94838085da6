"""The music library: tag a whole folder offline, resumably, and find similar tracks.

- :mod:`~genrelab.library.scan`: find audio files (hidden files skipped, link loops guarded).
- :mod:`~genrelab.library.windowed`: decode only the K windows a track is tagged from (seek, don't decode all).
- :mod:`~genrelab.library.pipeline`: :func:`tag_library` (scan, incremental plan, executors, store).
- :mod:`~genrelab.library.store`: :class:`LibraryStore`, the SQLite (WAL) database and its queries.
- :mod:`~genrelab.library.tags`: genre tags with mutagen: plan, apply, undo.
- :mod:`~genrelab.library.similar`, :mod:`~genrelab.library.similar_api`: nearest tracks (Jensen-Shannon, cosine);
  :mod:`~genrelab.library.similar_default`: how similarity is measured when nobody says (CLI and page).
- :mod:`~genrelab.library.exports`: CSV, JSON, M3U per genre.
- :mod:`~genrelab.library.ray_executor`: the same per-track analysis on Ray actors (``genrelab[cluster]``).

Long calls take ``progress(fraction, message)`` and ``cancel`` (a ``threading.Event``), like the rest of the core.
"""

import importlib

# Imported on first use (PEP 562): ``genrelab.library.similar_default`` and the other small modules are then
# importable without loading the decoders and ONNX-side code that ``pipeline`` pulls in (CLI and GUI start-up).
_WHERE = {"RunSummary": "pipeline", "analyse_track": "pipeline", "tag_library": "pipeline",
          "SimilarResult": "similar_api", "find_similar": "similar_api",
          "LibraryLocked": "store", "LibraryStore": "store", "TrackResult": "store", "TrackRow": "store",
          "default_db_path": "store",
          "TagChange": "tags", "TagReport": "tags", "apply_tags": "tags", "plan_tags": "tags", "undo_tags": "tags"}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
