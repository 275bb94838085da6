"""Exports: the timeline as CSV or JSON (from `Analysis.to_dict`), a view as PNG or SVG, the page as PNG."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401 - registers pg.exporters
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
    """One plot as PNG (``.png``) or SVG (``.svg``).

    PNG goes through pyqtgraph's ImageExporter. SVG tries pyqtgraph's SVGExporter first; where it fails (its
    path rewriting does not parse the SVG that Qt 6.12 writes, pyqtgraph 0.14) the plot is painted into a
    QSvgGenerator instead: curves and text stay vectors, images are embedded.
    """
    item = plot.getPlotItem()
    try:
        if path.suffix.lower() == ".svg":
            try:
                pg.exporters.SVGExporter(item).export(str(path))
            except (ValueError, IndexError, AttributeError):
                _widget_svg(plot, path)
        else:
            exporter = pg.exporters.ImageExporter(item)
            if width:
                exporter.parameters()["width"] = int(width)
            exporter.export(str(path))
    except OSError as exc:
        raise ExportError(f"{path.name}: cannot write ({exc.strerror or exc})") from None
    if not path.exists():
        raise ExportError(f"{path.name}: the image could not be written")
    return path


def _widget_svg(widget: QWidget, path: Path) -> None:
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(widget.size())
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
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
