"""The Live page: record or monitor an input with live views and a rolling genre (see :mod:`.page`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from genrelab.gui.main_window import MainWindow


def create_page(window: MainWindow) -> QWidget:
    """The Live page for ``window`` (the window adds it as a tab)."""
    from genrelab.gui.pages.live.page import LivePage

    return LivePage(window)
