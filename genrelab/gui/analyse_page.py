"""The Analyse page, now in :mod:`genrelab.gui.pages.analyse` (composed widgets); this name keeps old imports
working."""

from genrelab.gui.pages.analyse import TRACK_GROUPS, AnalysePage, create_page

__all__ = ["AnalysePage", "TRACK_GROUPS", "create_page"]
