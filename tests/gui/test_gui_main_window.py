"""The main window around the page: drag and drop, recent files, About model, switching the backend."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import open_and_wait
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent


def test_drop_a_file_opens_it_and_remembers_it(qtbot, window, song):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(song))])
    event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.page.analysis_ready, timeout=30000):
        window.dropEvent(event)
    assert window.page.path == song
    assert window.settings.recent_files[0] == str(song.resolve())
    assert window.settings.last_folder == str(song.parent.resolve())
    names = [a.text() for a in window.recent_menu.actions()]
    assert song.name in names


def test_about_model_shows_the_card(qtbot, window):
    window.about_model()
    text = window.about_box.text()
    card = window.engine_state.engine.card
    assert card.name in text and "Genres:" in text and "blues" in text
    assert not window.about_box.isModal()
    window.about_box.close()


def test_torch_backend_draws_the_same_timeline(qtbot, window, song):
    pytest.importorskip("torch")
    onnx = open_and_wait(qtbot, window, song)
    with qtbot.waitSignal(window.page.analysis_ready, timeout=60000) as blocker:
        window._set_engine(backend="torch", device="cpu")
    assert window.engine_state.engine.backend == "torch"
    assert window.settings.backend == "torch" and window.settings.device == "cpu"
    torch_result = blocker.args[0]
    np.testing.assert_allclose(torch_result.timeline.probs, onnx.timeline.probs, atol=1e-4)
    assert "torch" in window.page.summary.model_status.text()
