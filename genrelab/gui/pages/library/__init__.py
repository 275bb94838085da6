"""The Library page: tag a whole music folder offline, browse it, find similar tracks (see :mod:`.page`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from genrelab.gui.pages.library.page import LibraryPage

if TYPE_CHECKING:
    from genrelab.gui.main_window import MainWindow


def create_page(window: MainWindow) -> LibraryPage:
    """The Library page of ``window``."""
    return LibraryPage(window)
