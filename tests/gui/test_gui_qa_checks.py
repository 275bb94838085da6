"""Regressions found by driving the real app as a new user would (QA pass): keyboard focus between pages."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


def _activate(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def _key(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Press a key where the keyboard focus is now (as a person would)."""
    target = QApplication.focusWidget() or QApplication.activeWindow()
    qtbot.keyClick(target, key, modifier)


def test_ctrl_f_right_after_ctrl_4_focuses_the_library_filter(qtbot, window):
    """Ctrl+4 then Ctrl+F types into the Library filter, even when the focus was outside the page (the tab bar:
    the Analyse page has no focusable widget). It used to do nothing, and the typed letters were lost."""
    _activate(qtbot, window)
    window.tabs.tabBar().setFocus()
    qtbot.waitUntil(lambda: window.tabs.tabBar().hasFocus(), timeout=2000)
    _key(qtbot, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    page = window.pages["library"]
    assert window.tabs.currentWidget() is page
    _key(qtbot, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    box = page.table.filter_box
    qtbot.waitUntil(box.hasFocus, timeout=2000)
    qtbot.keyClicks(QApplication.focusWidget(), "rock f")
    assert box.text() == "rock f"


def test_ctrl_f_on_another_page_does_not_jump_to_the_hidden_library(qtbot, window):
    _activate(qtbot, window)
    window.show_page("train")
    window.tabs.tabBar().setFocus()
    _key(qtbot, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(50)
    assert window.tabs.currentWidget() is window.pages["train"]
    assert not window.pages["library"].table.filter_box.hasFocus()


def test_a_silent_track_draws_dark_spectrograms(qtbot, window, tmp_path):
    """Digital silence is the darkest colour (nothing there), not the brightest: the colour scale's 0 dB is the
    track's peak, and a silent track's peak is the floor itself, which used to paint every cell at 0 dB."""
    import numpy as np
    import soundfile as sf
    from gui_helpers import open_and_wait

    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(22050 * 4, np.float32), 22050)
    open_and_wait(qtbot, window, silent)
    views = [v for v in window.page.views if v.name in ("stft", "mel")]
    assert len(views) == 2
    for view in views:
        qtbot.waitUntil(lambda v=view: v.image is not None, timeout=20000)
        assert int(view.image.pixels.max()) == 0, view.name
    summary = window.page.summary  # and the large genre label names no genre for silence
    assert summary.now_label.text() == "SILENCE" and "silent" in summary.now_detail.text()


def test_a_track_with_one_genre_window_draws_it_on_the_timeline(qtbot, window, tmp_path):
    """A track under 3.5 s has one genre window; the timeline drew a one-point curve, i.e. nothing, beside a
    summary naming a genre. The window is drawn over its 3-s span, in both timeline styles."""
    import numpy as np
    import soundfile as sf
    from gui_helpers import open_and_wait

    from genrelab.audio.synthesis import music_like

    short = tmp_path / "short.wav"
    sf.write(short, music_like(2.0, 22050, seed=3), 22050)
    analysis = open_and_wait(qtbot, window, short)
    assert len(analysis.timeline.times) == 1
    timeline = window.page.views[-1]
    for style in ("stacked", "lines"):
        timeline.set_style(style)
        assert timeline.curves
        for curve in timeline.curves:
            x, y = curve.getData()
            assert x is not None and len(x) >= 2 and float(np.ptp(x)) >= 2.0, style
        times, probs = timeline.plotted_probabilities()
        np.testing.assert_allclose(probs, np.repeat(analysis.timeline.probs, len(times), axis=0), atol=1e-6)


def test_choosing_a_file_that_is_not_a_library_keeps_the_open_library(qtbot, window, tmp_path):
    """Change… onto a file that is not a library database (a text file): the page named that file as its
    database while still showing the previous library's tracks, and remembered it for the next start. The
    previous library stays, named as it was, and the file is left untouched."""
    from conftest import write_track

    page = window.pages["library"]
    music = tmp_path / "music"
    music.mkdir()
    write_track(music / "a.wav", 4.0)
    good = tmp_path / "library.sqlite"
    page.set_database(good)
    page.scan_jobs = 0
    window.show_page("library")
    assert page.folders.add_folder(music)
    with qtbot.waitSignal(page.scan_finished, timeout=60000):
        page.scan_controls.scan_button.click()
    qtbot.waitUntil(lambda: not page._loading and page.table.model.rowCount() == 1, timeout=20000)
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database\n")
    with qtbot.waitSignal(page.message, timeout=20000) as said:
        page.reload()  # a read of the open library still on its way when the file is chosen
        page.set_database(notes)
    assert "notes.txt: not a usable library database" in said.args[0]
    qtbot.waitUntil(lambda: page.database() == good, timeout=20000)
    assert page.db_label.text() == str(good)
    assert page.settings.library_database == str(good)
    assert page.table.model.rowCount() == 1
    assert notes.read_text() == "my notes, not a database\n"
