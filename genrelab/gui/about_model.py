"""Help > About model: the model card in a resizable, non-modal window that wraps long lines."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from genrelab.model.engine import Engine


class AboutModelDialog(QDialog):
    """The card of ``engine`` as a two-column table (or ``status`` when no model is loaded)."""

    def __init__(self, engine: Engine | None, status: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About the genre model")
        self.setModal(False)
        self.resize(860, 620)
        self.browser = QTextBrowser(self)
        self.browser.setOpenLinks(False)
        self.browser.setHtml(self._html(engine, status))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)

    @staticmethod
    def _html(engine: Engine | None, status: str) -> str:
        if engine is None:
            return f"<p>{escape(status)}</p>"
        card = engine.card
        where = f"<br><small>{escape(str(engine.path))}</small>" if engine.path else ""
        rows = "".join(f"<tr><td valign='top' style='padding-right:12px'><b>{escape(label)}</b></td>"
                       f"<td>{escape(text)}</td></tr>" for label, text in card.items())
        return (f"<h3>{escape(card.name)}</h3><p>{escape(engine.description)}{where}</p>"
                f"<table cellspacing='3'>{rows}</table>")

    def text(self) -> str:
        """What the window shows, as plain text."""
        return self.browser.toPlainText()
