"""The genre panel: the genre at the playhead (large), top-3, dominant stretches, warnings, model status."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QProgressBar, QScrollArea, QVBoxLayout, QWidget

from genrelab.gui.notes import format_time

if TYPE_CHECKING:
    from genrelab.analysis import Analysis

FLAG_TEXT = {
    "short": "Shorter than one model window: padded with silence.",
    "silent": "The track is (nearly) silent.",
    "low_confidence": "Low confidence: no genre clearly dominates.",
    "truncated": "The file is cut off: only the part that decodes was analysed.",
    "repaired": "The file held invalid samples; they were replaced by silence.",
}


def stretches_text(analysis: Analysis) -> str:
    """``"0:00-1:12 rock, 1:12-2:40 metal"`` from the summary's dominant-genre segments."""
    return ", ".join(f"{format_time(s.start_s)}–{format_time(s.end_s)} {s.genre}"
                     for s in analysis.summary.segments)


def stretches_html(analysis: Analysis, colours: dict[str, str]) -> str:
    """One line per dominant stretch: ``0:00–1:12  ■ rock``, in the genre's colour."""
    return "<br>".join(f"<span style='font-family:monospace'>{format_time(s.start_s)}–{format_time(s.end_s)}"
                       f"</span>&nbsp; <span style='color:{colours.get(s.genre, '#888888')}'>■</span> "
                       f"{escape(s.genre)}" for s in analysis.summary.segments)


def _heading(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setStyleSheet("color: #8a93a0; font-size: 10px; font-weight: bold; letter-spacing: 1px;")
    return label


class SummaryPanel(QWidget):
    """Right-hand panel of the Analyse page."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colours: dict[str, str] = {}
        self.silent = False  # a silent track has no genre to show, whatever the model says about silence
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(6)
        self.now_heading = _heading("Genre now: the 3-s window at the playhead")
        self.now_heading.setWordWrap(True)
        self.now_heading.setToolTip("The model listens to 3 seconds at a time; this is its answer for the window "
                                    "outlined on the views. The whole track's answer is below.")
        layout.addWidget(self.now_heading)
        self.now_label = QLabel("—")
        font = QFont()
        font.setPointSize(34)
        font.setBold(True)
        self.now_label.setFont(font)
        self.now_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.now_label.setMinimumHeight(64)
        self.now_label.setObjectName("now_label")
        layout.addWidget(self.now_label)
        self.now_detail = QLabel("")
        self.now_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.now_detail.setWordWrap(True)
        self.now_detail.setStyleSheet("color: #a0a8b4;")
        layout.addWidget(self.now_detail)

        self.top_heading = _heading("Whole track: top 3 (mean of all windows)")
        self.top_heading.setWordWrap(True)
        layout.addWidget(self.top_heading)
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        self.top_names: list[QLabel] = []
        self.top_bars: list[QProgressBar] = []
        for row in range(3):
            name = QLabel("")
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            bar.setFixedHeight(18)
            grid.addWidget(name, row, 0)
            grid.addWidget(bar, row, 1)
            self.top_names.append(name)
            self.top_bars.append(bar)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)

        self.stretches_heading = _heading("Dominant stretches")
        layout.addWidget(self.stretches_heading)
        self.stretches = QLabel("")
        self.stretches.setWordWrap(True)
        self.stretches.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.stretches.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stretches_box = QScrollArea()  # a long track's list scrolls here; nothing else moves
        self.stretches_box.setWidget(self.stretches)
        self.stretches_box.setWidgetResizable(True)
        self.stretches_box.setFrameShape(QFrame.Shape.NoFrame)
        self.stretches_box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stretches_box.setMinimumHeight(60)
        layout.addWidget(self.stretches_box, 1)
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #ffb454;")
        layout.addWidget(self.warnings)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(line)
        self.model_status = QLabel("")
        self.model_status.setWordWrap(True)
        self.model_status.setObjectName("model_status")
        self.model_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.model_status)
        layout.addStretch(0)  # takes the room the (hidden) results leave, so the model status stays on top
        self._layout = layout
        self.clear()

    # ---- content ----------------------------------------------------------------------------------------
    def clear(self, note: str = "") -> None:
        """Forget the current track's results."""
        self.silent = False
        self.now_label.setText("—")
        self.now_label.setStyleSheet("color: #606874;")
        self.now_detail.setText(note)
        for name, bar in zip(self.top_names, self.top_bars, strict=True):
            name.setText("")
            bar.setValue(0)
            bar.setFormat("")
            bar.setStyleSheet("")
            name.hide()
            bar.hide()
        self.stretches.setText("")
        self.warnings.setText("")
        self.warnings.hide()
        self.set_results_visible(False)

    def set_results_visible(self, visible: bool) -> None:
        """Show the result headings and boxes (hidden while there is nothing to show: no empty headings)."""
        for widget in (self.now_heading, self.now_label, self.now_detail, self.top_heading,
                       self.stretches_heading, self.stretches_box):
            widget.setVisible(visible)
        self._layout.setStretch(self._layout.count() - 1, 0 if visible else 1)

    def set_model_status(self, text: str, problem: bool = False) -> None:
        self.model_status.setText(text)
        self.model_status.setStyleSheet("color: #ff8080; font-weight: bold;" if problem else "color: #a0a8b4;")

    def set_analysis(self, analysis: Analysis, colours: dict[str, str]) -> None:
        """Fill top-3, stretches and warnings from an analysis."""
        self.colours = colours
        self.silent = "silent" in analysis.flags
        for (genre, p), name, bar in zip(analysis.summary.top3, self.top_names, self.top_bars, strict=False):
            colour = colours.get(genre, "#888888")
            name.setText(f"<span style='color:{colour}'>■</span> {escape(genre)}")
            bar.setValue(int(round(p * 1000)))
            bar.setFormat(f"{p:.0%}")
            bar.setStyleSheet(f"QProgressBar::chunk {{ background: {colour}; }}")
            name.show()
            bar.show()
        self.stretches.setText(stretches_html(analysis, colours) or "—")
        self.stretches_box.verticalScrollBar().setValue(0)
        flags = [FLAG_TEXT.get(f, f) for f in sorted(analysis.flags)]
        self.warnings.setText("<br>".join(f"⚠ {escape(f)}" for f in flags))
        self.warnings.setVisible(bool(flags))
        self.set_results_visible(True)

    def set_now(self, t: float, labels: list[str], probs: np.ndarray | None, start_s: float | None = None,
                end_s: float | None = None) -> None:
        """The genre of the window at the playhead (time ``t``), large, in its colour, with the window's span
        ``start_s``..``end_s`` (the window the model heard, not the playhead's instant)."""
        if probs is None or len(probs) == 0:
            return
        if self.silent:
            self.now_label.setText("SILENCE")
            self.now_label.setStyleSheet("color: #a0a8b4;")
            self.now_detail.setText("The track is silent: there is no genre to hear")
            return
        k = int(np.argmax(probs))
        genre = labels[k]
        colour = self.colours.get(genre, "#dddddd")
        self.now_label.setText(genre.upper())
        self.now_label.setStyleSheet(f"color: {colour};")
        if start_s is None or end_s is None:
            self.now_detail.setText(f"{probs[k]:.0%} near {format_time(t, 1)}")
        else:
            self.now_detail.setText(f"{probs[k]:.0%} in the window {format_time(start_s, 1)}–"
                                    f"{format_time(end_s, 1)} (playhead {format_time(t, 1)})")
