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


def test_about_model_shows_the_whole_card_wrapped(qtbot, window, monkeypatch):
    card = window.engine_state.engine.card
    monkeypatch.setattr(card, "notes", "A long note that needs wrapping. " * 40)
    window.about_model()
    box = window.about_box
    qtbot.waitExposed(box)
    text = box.text()
    assert card.name in text and "Genres" in text and "blues" in text
    assert text.count("A long note that needs wrapping.") == 40
    assert all(label in text for label, _ in card.items())
    assert box.browser.horizontalScrollBar().maximum() == 0  # long rows wrap instead of running off the edge
    assert not box.isModal()
    box.close()


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


def test_ctrl_d_opens_the_shipped_demo_track(qtbot, window):
    from PySide6.QtGui import QKeySequence

    from genrelab.model.registry import demo_track_path

    action = next(a for a in window.actions() if a.shortcut() == QKeySequence("Ctrl+D"))
    with qtbot.waitSignal(window.page.analysis_ready, timeout=60000) as blocker:
        action.trigger()
    assert window.page.path == demo_track_path()
    assert 39.5 < blocker.args[0].duration_s < 40.5


def test_demo_track_missing_from_an_install_is_a_one_line_message(qtbot, window, monkeypatch, tmp_path):
    from genrelab.model import registry

    monkeypatch.setattr(registry, "resources_dir", lambda: tmp_path)
    window.open_demo()
    assert window.last_error.startswith("The demo track is not installed") and "\n" not in window.last_error
    assert window.page.path is None
