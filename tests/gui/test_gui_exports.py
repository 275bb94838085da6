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
