"""Exports: the timeline as CSV or JSON (from `Analysis.to_dict`), a view as PNG or SVG, the page as PNG."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from genrelab.errors import GenreLabError

if TYPE_CHECKING:
    from genrelab.analysis import Analysis


class ExportError(GenreLabError):
    """A file could not be written."""


def timeline_json(analysis: Analysis, path: Path) -> Path:
    """The whole analysis (summary, segments, flags and timeline) as JSON."""
    try:
        path.write_text(json.dumps(analysis.to_dict(), indent=1), encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"{path.name}: cannot write ({exc.strerror or exc})") from None
    return path


def timeline_csv(analysis: Analysis, path: Path) -> Path:
    """One row per window: ``time_s`` then one probability column per genre."""
    data = analysis.to_dict()["timeline"]
    try:
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["time_s", *data["labels"]])
            for t, row in zip(data["times"], data["probs"], strict=True):
                writer.writerow([f"{t:.3f}", *(f"{p:.5f}" for p in row)])
    except OSError as exc:
        raise ExportError(f"{path.name}: cannot write ({exc.strerror or exc})") from None
    return path


def view_image(plot: pg.PlotWidget, path: Path, width: int | None = None) -> Path:
    """One view as PNG (``.png``) or SVG (``.svg``), with what it needs to be read alone: its time axis, and
    the view's own extras (a spectrogram's colour bar, the timeline's genre legend).

    Both formats paint the same widget the same way (PNG into an image, ``width`` pixels wide if given; SVG
    into a QSvgGenerator at the screen's resolution, so axes and data keep one scale): curves and text stay
    vectors in the SVG, images are embedded.
    """
    svg = path.suffix.lower() == ".svg"
    try:
        with _readable(plot):
            if svg:
                _widget_svg(plot, path)
            else:
                _widget_png(plot, path, width)
    except OSError as exc:
        raise ExportError(f"{path.name}: cannot write ({exc.strerror or exc})") from None
    if not path.exists():
        raise ExportError(f"{path.name}: the image could not be written")
    return path


@contextmanager
def _readable(plot: QWidget) -> Iterator[None]:
    """The view in its export dress (``export_mode(True)``) for the time of the export, then back."""
    mode = getattr(plot, "export_mode", None)
    if callable(mode):
        mode(True)
        _settle()
    try:
        yield
    finally:
        if callable(mode):
            mode(False)
            _settle()


def _settle() -> None:
    """Let pending layout changes (an axis shown, a legend added) take effect before painting."""
    from PySide6.QtCore import QCoreApplication, QEventLoop

    QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)


def _widget_png(widget: QWidget, path: Path, width: int | None) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter

    scale = max(1.0, width / widget.width()) if width else max(1.0, widget.devicePixelRatioF())
    image = QImage(round(widget.width() * scale), round(widget.height() * scale), QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(scale, scale)
        widget.render(painter)
    finally:
        painter.end()
    if not image.save(str(path), "PNG"):
        raise ExportError(f"{path.name}: cannot write the image")


def _widget_svg(widget: QWidget, path: Path) -> None:
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(widget.size())
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    generator.setResolution(widget.logicalDpiX())  # the default 72 dpi drew axes and text at 75 % of the data
    generator.setTitle(path.stem)
    generator.setDescription("GenreLab")
    painter = QPainter(generator)
    try:
        widget.render(painter)
    finally:
        painter.end()


def widget_png(widget: QWidget, path: Path) -> Path:
    """A widget (the whole page or window) as it looks on screen, as PNG."""
    if not widget.grab().save(str(path), "PNG"):
        raise ExportError(f"{path.name}: cannot write the image")
    return path
