"""A dark Fusion theme, so the panels match the dark plots (a studio tool, readable on a projector)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from genrelab.gui.palette import BACKGROUND

WINDOW = "#1e2127"
BASE = "#16181d"
TEXT = "#dde1e6"
DISABLED_TEXT = "#6b7380"
HIGHLIGHT = "#3d7bd9"


def apply_dark_theme(app: QApplication) -> None:
    """Fusion style with a dark palette and a few widget tweaks."""
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: WINDOW,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE,
        QPalette.ColorRole.AlternateBase: WINDOW,
        QPalette.ColorRole.ToolTipBase: BACKGROUND,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: "#2a2e36",
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: HIGHLIGHT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#6fb3ff",
        QPalette.ColorRole.PlaceholderText: DISABLED_TEXT,
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(DISABLED_TEXT))
    app.setPalette(palette)
    app.setStyleSheet(
        "QToolButton { padding: 3px 9px; border: 1px solid #3a3f48; border-radius: 3px; background: #2a2e36; }"
        "QToolButton:hover { background: #343a44; }"
        "QToolButton:checked { background: #3d7bd9; border-color: #5b93e6; }"
        "QToolButton:disabled { color: #5d6470; border-color: #2c3038; }"
        "QGroupBox { font-weight: bold; border: 1px solid #30343c; border-radius: 4px; margin-top: 10px; }"
        "QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; color: #8a93a0; }"
        "QProgressBar { border: 1px solid #30343c; border-radius: 3px; text-align: center; background: #16181d; }"
        "QStatusBar { color: #c0c6ce; }"
    )
