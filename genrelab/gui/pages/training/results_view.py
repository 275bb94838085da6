"""A finished run's results: metrics beside the paper's, per-class recall, confusion matrix; its report."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStyle,
    QStyleOptionHeader,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

METRIC_COLUMNS = ("Part", "Level", "n", "Accuracy", "Precision", "Recall", "F1")


def _fmt(x: Any) -> str:
    return "–" if x is None else f"{float(x):.3f}"


def _table(rows: int, columns: list[str]) -> QTableWidget:
    table = QTableWidget(rows, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


def _item(text: str, align_right: bool = True) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class MetricsTable(QWidget):
    """The paper's layout (accuracy, weighted precision / recall / F1) per part and level, the paper's row
    below when the run is comparable (same architecture and input on the paper's split)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = _table(0, list(METRIC_COLUMNS))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.note = QLabel("", self)
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.note)

    def show_metrics(self, evaluations: dict[str, dict[str, Any]], paper: dict[str, float] | None,
                     paper_name: str = "") -> None:
        rows = []
        for part, ev in evaluations.items():
            for level in ("window", "track"):
                s = ev.get(level) or {}
                rows.append([part, level, str(s.get("n", "")), _fmt(s.get("accuracy")), _fmt(s.get("precision")),
                             _fmt(s.get("recall")), _fmt(s.get("f1"))])
        if paper:
            rows.append([paper_name or "paper", "window", "", _fmt(paper.get("accuracy")),
                         _fmt(paper.get("precision")), _fmt(paper.get("recall")), _fmt(paper.get("f1"))])
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = _item(text, c >= 2)
                if paper and r == len(rows) - 1:
                    item.setForeground(QBrush(QColor("#e0b050")))
                self.table.setItem(r, c, item)
        self.note.setText(
            "Window level is the paper's measure (each 3-s window on its own); track level averages a clip's "
            "windows. The paper's numbers are segment level on its own GroupShuffleSplit."
            if paper else "Window level is the paper's measure; track level averages a clip's windows. The paper's "
            "numbers are shown beside runs of its architectures on the ten GTZAN genres with its split only.")

    def rows(self) -> list[list[str]]:
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]


class RotatedHeader(QHeaderView):
    """A horizontal header whose names read bottom to top, each whole: as tall as the longest name, so narrow
    columns (ten genres side by side) never cut one ("classical", "country")."""

    PAD = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)

    def texts(self) -> list[str]:
        """The names shown, in column order."""
        model = self.model()
        if model is None:
            return []
        return [str(model.headerData(i, self.orientation(), Qt.ItemDataRole.DisplayRole) or "")
                for i in range(self.count())]

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().sizeHint()
        metrics = self.fontMetrics()
        longest = max((metrics.horizontalAdvance(t) for t in self.texts()), default=0)
        return QSize(hint.width(), max(metrics.height(), longest) + 2 * self.PAD)

    def sectionSizeFromContents(self, logical_index: int) -> QSize:  # noqa: N802 - Qt's name
        metrics = self.fontMetrics()
        return QSize(metrics.height() + self.PAD, self.sizeHint().height())

    def paintSection(self, painter: QPainter, rect: QRect, logical_index: int) -> None:  # noqa: N802
        if not rect.isValid():
            return
        option = QStyleOptionHeader()
        self.initStyleOption(option)
        option.rect = rect
        option.section = logical_index
        option.text = ""  # the frame and background only: the name is drawn turned below
        painter.save()
        self.style().drawControl(QStyle.ControlElement.CE_Header, option, painter, self)
        painter.restore()
        text = str(self.model().headerData(logical_index, self.orientation(), Qt.ItemDataRole.DisplayRole) or "")
        painter.save()
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.translate(rect.left(), rect.bottom())
        painter.rotate(-90)
        turned = QRect(self.PAD // 2, 0, rect.height() - self.PAD, rect.width())  # x along the name, y across
        painter.drawText(turned, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)
        painter.restore()


class ConfusionView(QWidget):
    """The confusion matrix (rows true, columns predicted) with row-normalised colours, of a chosen part and
    level, and the per-class recall beside the metrics (:attr:`recall`, placed by :class:`ResultsView`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.which = QComboBox(self)
        self.which.currentIndexChanged.connect(self._show)
        self.matrix = _table(0, [])
        self.matrix.setHorizontalHeader(RotatedHeader(self.matrix))
        self.matrix.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.recall = _table(0, ["Class", "Recall (track)", "Recall (window)"])
        top = QHBoxLayout()
        top.addWidget(QLabel("Confusion matrix (rows true, columns predicted) of", self))
        top.addWidget(self.which)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.matrix)
        self.evaluations: dict[str, dict[str, Any]] = {}
        self.labels: list[str] = []

    def show_evaluations(self, evaluations: dict[str, dict[str, Any]], labels: list[str]) -> None:
        self.evaluations, self.labels = evaluations, labels
        self.which.blockSignals(True)
        self.which.clear()
        for part in evaluations:
            for level in ("track", "window"):
                self.which.addItem(f"{part} ({level})", (part, level))
        self.which.blockSignals(False)
        self._show()

    def _show(self) -> None:
        key = self.which.currentData()
        if not key:
            self.matrix.setRowCount(0)
            self.matrix.setColumnCount(0)
            self.recall.setRowCount(0)
            return
        part, level = key
        ev = self.evaluations[part]
        cm = (ev.get(level) or {}).get("confusion") or []
        labels = self.labels
        self.matrix.setColumnCount(len(labels))
        self.matrix.setRowCount(len(labels))
        self.matrix.setHorizontalHeaderLabels(labels)  # whole names, turned to read bottom to top
        self.matrix.setVerticalHeaderLabels(labels)
        for j, g in enumerate(labels):
            self.matrix.horizontalHeaderItem(j).setToolTip(f"predicted {g}")
            self.matrix.verticalHeaderItem(j).setToolTip(f"true {g}")
        self.matrix.horizontalHeader().updateGeometry()
        self.matrix.verticalHeader().setVisible(True)
        self.matrix.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for i, row in enumerate(cm):
            total = max(sum(row), 1)
            for j, count in enumerate(row):
                item = _item(str(int(count)) if count else "", False)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                share = count / total
                item.setBackground(QBrush(QColor.fromRgbF(0.12 + 0.1 * share, 0.25 + 0.3 * share,
                                                          0.35 + 0.55 * share)))
                item.setToolTip(f"true {labels[i]}, predicted {labels[j]}: {int(count)} ({share:.0%} of the row)")
                self.matrix.setItem(i, j, item)
        self.recall.setRowCount(len(labels))
        for i, g in enumerate(labels):
            track = (ev.get("track") or {}).get("per_genre_recall", {}).get(g)
            window = (ev.get("window") or {}).get("per_genre_recall", {}).get(g)
            for c, text in enumerate((g, _fmt(track), _fmt(window))):
                self.recall.setItem(i, c, _item(text, c > 0))

    def cell(self, i: int, j: int) -> str:
        item = self.matrix.item(i, j)
        return item.text() if item else ""


class ResultsView(QWidget):
    """Metrics (with the paper's) and per-class recall on the left, the confusion matrix on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metrics = MetricsTable(self)
        self.confusion = ConfusionView(self)
        left = QVBoxLayout()
        left.addWidget(self.metrics, 2)
        left.addWidget(self.confusion.recall, 3)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 5)
        layout.addWidget(self.confusion, 4)
        self.clear()

    def clear(self) -> None:
        self.metrics.show_metrics({}, None)
        self.confusion.show_evaluations({}, [])

    def show_run(self, run: Any, paper: dict[str, float] | None, paper_name: str = "") -> None:
        """A finished run (:class:`~genrelab.gui.pages.training.jobs.RunFiles`)."""
        self.metrics.show_metrics(run.evaluations, paper, paper_name)
        self.confusion.show_evaluations(run.evaluations, run.labels)


class ReportView(QTextBrowser):
    """The run's report.md (its images load from the run folder)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenExternalLinks(True)
        self.clear_report()

    def clear_report(self) -> None:
        self.setMarkdown("*The report appears here when a run finishes, or open a finished run.*")

    def show_run(self, run: Any) -> None:
        self.document().setBaseUrl(run.folder.as_uri() + "/")
        self.setMarkdown(run.report_md or "*This run has no report.md.*")
