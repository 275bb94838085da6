"""The music library: tag a whole folder offline, resumably, and find similar tracks.

- :mod:`~genrelab.library.scan`: find audio files (hidden files skipped, link loops guarded).
- :mod:`~genrelab.library.windowed`: decode only the K windows a track is tagged from (seek, don't decode all).
- :mod:`~genrelab.library.pipeline`: :func:`tag_library` (scan, incremental plan, executors, store).
- :mod:`~genrelab.library.store`: :class:`LibraryStore`, the SQLite (WAL) database and its queries.
- :mod:`~genrelab.library.tags`: genre tags with mutagen: plan, apply, undo.
- :mod:`~genrelab.library.similar`, :mod:`~genrelab.library.similar_api`: nearest tracks (Jensen-Shannon, cosine).
- :mod:`~genrelab.library.exports`: CSV, JSON, M3U per genre.
- :mod:`~genrelab.library.ray_executor`: the same per-track analysis on Ray actors (``genrelab[cluster]``).

Long calls take ``progress(fraction, message)`` and ``cancel`` (a ``threading.Event``), like the rest of the core.
"""

from genrelab.library.pipeline import RunSummary, analyse_track, tag_library
from genrelab.library.similar_api import SimilarResult, find_similar
from genrelab.library.store import LibraryLocked, LibraryStore, TrackResult, TrackRow, default_db_path
from genrelab.library.tags import TagChange, TagReport, apply_tags, plan_tags, undo_tags

__all__ = ["LibraryLocked", "LibraryStore", "RunSummary", "SimilarResult", "TagChange", "TagReport", "TrackResult",
           "TrackRow", "analyse_track", "apply_tags", "default_db_path", "find_similar", "plan_tags",
           "tag_library", "undo_tags"]
