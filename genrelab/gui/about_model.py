"""Help > About model: a plain summary first (what the model knows, how often it is right on music it never
saw, what it mixes up), read from the model card's metrics, then the whole card as a wrapped two-column table in
a resizable, non-modal window."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from genrelab.model.card import ModelCard
    from genrelab.model.engine import Engine

GTZAN = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")


def held_out_part(metrics: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The card's figures on music the model did not learn from: the test part if scored, else valid."""
    for part in ("test", "valid", "holdout", "eval"):
        values = metrics.get(part)
        if isinstance(values, dict) and isinstance(values.get("track_accuracy"), (int, float)):
            return part, values
    return None


def confusions(values: dict[str, Any], labels: list[str], count: int = 3) -> list[str]:
    """What the model mixes up, in words: from a confusion matrix (rows true, columns predicted) when the card
    has one, else the genres it recognises least often (per-genre recall)."""
    matrix = values.get("confusion")
    if isinstance(matrix, list) and len(matrix) == len(labels) and all(len(r) == len(labels) for r in matrix):
        pairs = [(matrix[i][j] / max(1, sum(matrix[i])), i, j) for i in range(len(labels))
                 for j in range(len(labels)) if i != j and matrix[i][j] > 0]
        return [f"{labels[i]} taken for {labels[j]} ({share:.0%} of {labels[i]})"
                for share, i, j in sorted(pairs, reverse=True)[:count]]
    recall = values.get("per_genre_recall")
    if isinstance(recall, dict):
        known = sorted((r, g) for g, r in recall.items() if isinstance(r, (int, float)))
        return [f"{g} (recognised {r:.0%} of the time)" for r, g in known[:count]]
    return []


def plain_summary(card: ModelCard) -> str:
    """The card in three plain sentences (HTML): what it knows, how often it is right, what it confuses."""
    labels = list(card.labels)
    if tuple(g.lower() for g in labels) == GTZAN:
        knows = ("It knows the 10 genres of the GTZAN collection (1,000 30-second clips, 100 per genre): "
                 f"{', '.join(labels)}. Music outside these genres still gets one of them.")
    else:
        knows = f"It knows {len(labels)} genres: {', '.join(labels)}. Other music still gets one of them."
    spec = card.spec
    listen = (f"It listens to {spec.window_s:g} seconds at a time; the page shows its answer for every window "
              "and their average for the whole track.")
    held = held_out_part(card.metrics)
    if held is None:
        right = "Its card gives no score on music kept out of training, so how often it is right is unknown."
        mixes: list[str] = []
    else:
        part, values = held
        clips = values.get("clips")
        on = f"{clips} clips" if isinstance(clips, int) else "clips"
        name = {"valid": "validation", "test": "test"}.get(part, part)
        right = (f"On {on} it never learned from (the {escape(name)} part of its split), it named the right "
                 f"genre for <b>{values['track_accuracy']:.0%}</b> of whole clips")
        if isinstance(values.get("window_accuracy"), (int, float)):
            right += f" and {values['window_accuracy']:.0%} of single {spec.window_s:g}-s windows"
        right += f"; guessing would be right {1 / max(1, len(labels)):.0%} of the time."
        if part != "test":
            right += (" These clips were also used to choose the model, so expect a little less on new music.")
        mixes = confusions(values, labels)
    text = f"<p>{escape(knows)} {escape(listen)}</p><p>{right}</p>"
    if mixes:
        text += f"<p>It is weakest on: {escape('; '.join(mixes))}.</p>"
    return text


class AboutModelDialog(QDialog):
    """The plain summary and the card of ``engine`` (or ``status`` when no model is loaded)."""

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
        return (f"<h3>{escape(card.name)}</h3>{plain_summary(card)}"
                f"<h4>The model card</h4><p>{escape(engine.description)}{where}</p>"
                f"<table cellspacing='3'>{rows}</table>")

    def text(self) -> str:
        """What the window shows, as plain text."""
        return self.browser.toPlainText()
