"""The Training page (``--page train``): run the training pipeline from the window and put the model to use.

Composed of small widgets that own their state (dataset panel, options panel, progress, curves, results, log);
the Qt-free work they start lives in :mod:`~genrelab.gui.pages.training.jobs`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the Qt-free jobs module is imported by tests and scripts without Qt widgets
    from PySide6.QtWidgets import QWidget

    from genrelab.gui.main_window import MainWindow


def create_page(window: MainWindow) -> QWidget:
    """The Training page for ``window``."""
    from genrelab.gui.pages.training.page import TrainingPage

    return TrainingPage(window)
