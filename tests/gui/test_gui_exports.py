"""Exports from the Analyse page: timeline CSV and JSON, views as PNG and SVG, the whole page as PNG."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from gui_helpers import open_and_wait
from PySide6.QtGui import QImage

from genrelab.gui import exporting


def test_exports_exist_and_parse(qtbot, window, song, tmp_path):
    page = window.page
    analysis = open_and_wait(qtbot, window, song)
    qtbot.waitUntil(lambda: page.mel.image is not None, timeout=15000)

    rows = list(csv.reader(exporting.timeline_csv(analysis, tmp_path / "t.csv").open()))
    assert rows[0] == ["time_s", *analysis.timeline.labels]
    table = np.array(rows[1:], dtype=float)
    np.testing.assert_allclose(table[:, 0], analysis.timeline.times, atol=1e-3)
    np.testing.assert_allclose(table[:, 1:], analysis.timeline.probs, atol=1e-5)

    data = json.loads(exporting.timeline_json(analysis, tmp_path / "t.json").read_text())
    assert data == json.loads(json.dumps(analysis.to_dict()))
    assert data["timeline"]["labels"] == analysis.timeline.labels

    for view in page.views:
        png = exporting.view_image(view, tmp_path / f"{view.name}.png")
        image = QImage(str(png))
        assert not image.isNull() and image.width() > 100 and image.height() > 20
    svg = exporting.view_image(page.mel, tmp_path / "mel.svg")
    assert ET.parse(svg).getroot().tag.endswith("svg")
    page_png = exporting.widget_png(window, tmp_path / "page.png")
    image = QImage(str(page_png))
    assert (image.width(), image.height()) == (window.width() * window.devicePixelRatio(),
                                               window.height() * window.devicePixelRatio())


def test_export_to_an_unwritable_place_is_a_one_line_error(qtbot, window, song, tmp_path):
    analysis = open_and_wait(qtbot, window, song)
    with pytest.raises(exporting.ExportError, match="t.csv"):
        exporting.timeline_csv(analysis, tmp_path / "no" / "such" / "folder" / "t.csv")


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * h).reshape(h, image.bytesPerLine())
    return data[:, : 3 * w].reshape(h, w, 3).astype(int)


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1) of a mask's pixels."""
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def _grey(rgb: np.ndarray) -> np.ndarray:
    """Axes, ticks and their labels: light, unsaturated pixels."""
    return (rgb.max(axis=2) - rgb.min(axis=2) < 30) & (rgb.mean(axis=2) > 80)


def _blue(rgb: np.ndarray) -> np.ndarray:
    """The waveform's curve."""
    return (rgb[..., 2] > 150) & (rgb[..., 2] - rgb[..., 0] > 60)


def test_svg_export_draws_like_the_png(qtbot, window, song, tmp_path):
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgRenderer

    page = window.page
    open_and_wait(qtbot, window, song)
    png = QImage(str(exporting.view_image(page.waveform, tmp_path / "w.png")))
    svg = exporting.view_image(page.waveform, tmp_path / "w.svg")
    renderer = QSvgRenderer(str(svg))
    assert renderer.isValid()
    drawn = QImage(png.size(), QImage.Format.Format_ARGB32)
    drawn.fill(0)
    painter = QPainter(drawn)
    renderer.render(painter)
    painter.end()
    for kind in (_blue, _grey):  # the curve, and the axes with their labels, in the same places
        a, b = _bbox(kind(_pixels(png))), _bbox(kind(_pixels(drawn)))
        assert np.abs(np.array(a) - np.array(b)).max() <= max(4, png.width() // 100), (kind.__name__, a, b)


def test_exported_views_can_be_read_alone(qtbot, window, song, tmp_path):
    """An exported view carries its time axis, a spectrogram its colour scale, the timeline its genre legend;
    the page on screen is unchanged afterwards."""
    page = window.page
    analysis = open_and_wait(qtbot, window, song)
    qtbot.waitUntil(lambda: page.mel.image is not None, timeout=15000)
    seen = {}

    def spy(view):
        original = view.export_mode

        def mode(on: bool) -> None:
            original(on)
            if on:
                bottom = view.getPlotItem().getAxis("bottom")
                seen[view.name] = (bottom.style["showValues"], bottom.label.isVisible(),
                                   getattr(view, "_legend", None))
                if view is page.timeline:
                    seen["legend"] = [label.text for _sample, label in view._legend.items]
        view.export_mode = mode

    for view in page.views:
        spy(view)
        exporting.view_image(view, tmp_path / f"{view.name}.png")
        assert seen[view.name][0] and seen[view.name][1], view.name
        assert not view.getPlotItem().getAxis("bottom").style["showValues"] or view is page.timeline
    assert seen["legend"] == analysis.timeline.labels
    assert page.timeline._legend is None
    for view in (page.stft, page.mel):
        assert view.colour_bar.isVisible() and "peak" in view.colour_bar.getAxis("right").labelText
        assert view.colour_bar.levels() == pytest.approx((-page.display.db_range, 0.0))
