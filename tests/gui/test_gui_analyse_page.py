"""The Analyse page end to end: real files, the real ONNX Runtime engine, offscreen Qt."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import open_and_wait

from genrelab.analysis import analyse
from genrelab.audio import load
from genrelab.model.engine import OnnxEngine


def test_timeline_shows_what_analyse_returns(qtbot, window, song, tiny_model):
    page = window.page
    analysis = open_and_wait(qtbot, window, song)
    expected = analyse(load(song), OnnxEngine(tiny_model), page.analysis_hop_s)
    times, probs = page.timeline.plotted_probabilities()
    np.testing.assert_allclose(times, expected.timeline.times, atol=1e-9)
    np.testing.assert_allclose(probs, expected.timeline.probs, atol=1e-5)
    assert analysis.timeline.labels == expected.timeline.labels
    page.set_timeline_style("lines")
    times, probs = page.timeline.plotted_probabilities()
    np.testing.assert_allclose(probs, expected.timeline.probs, atol=1e-6)
    # the panels say the same thing
    top, p = expected.summary.top3[0]
    assert page.summary.top_names[0].text().endswith(top)
    assert page.summary.top_bars[0].format() == f"{p:.0%}"
    assert page.summary.now_label.text() == expected.timeline.labels[int(np.argmax(expected.timeline.at(0.0)))].upper()
    assert all(label in page.legend.text() for label in expected.timeline.labels)
    assert "low_confidence" not in expected.flags or page.summary.warnings.text()
    # the waveform and both spectrograms are drawn
    qtbot.waitUntil(lambda: page.stft.image is not None and page.mel.image is not None, timeout=15000)
    assert page.mel.image.db.shape[0] == page.display.n_mels
    x, y = page.waveform.curve.getData()
    assert len(x) > 100 and np.isfinite(y).all()


def test_cancel_mid_analysis_keeps_the_window_usable(qtbot, window, long_song, song):
    page, runner = window.page, window.runner
    window.open_file(long_song)
    qtbot.waitUntil(lambda: any(j.group == "analysis" and j.fraction > 0.05 for j in runner.active()),
                    timeout=30000)
    assert window.cancel_button.isVisible()
    window.cancel_button.click()
    qtbot.waitUntil(lambda: not page.busy(), timeout=10000)
    assert page.analysis is None
    assert "cancelled" in page.timeline.message.toPlainText()
    assert page.track is not None  # the waveform stays
    analysis = open_and_wait(qtbot, window, song)
    assert len(analysis.timeline.times) > 0


def test_opening_another_file_cancels_the_current_job(qtbot, window, long_song, song):
    page = window.page
    window.open_file(long_song)
    qtbot.waitUntil(lambda: page.busy(), timeout=5000)
    analysis = open_and_wait(qtbot, window, song)
    assert analysis.path == song
    assert page.path == song and page.track.path == song


@pytest.mark.parametrize("kind", ["text", "missing", "empty"])
def test_bad_input_is_one_line_and_the_window_stays_usable(qtbot, window, tmp_path, song, kind):
    page = window.page
    bad = tmp_path / "bad.wav"
    if kind == "text":
        bad.write_text("this is not audio, only text named .wav\n" * 20)
    elif kind == "empty":
        bad.write_bytes(b"")
    with qtbot.waitSignal(page.error, timeout=10000) as blocker:
        window.open_file(bad)
    message = blocker.args[0]
    assert "bad.wav" in message and "\n" not in message and "Traceback" not in message
    assert page.banner.isVisible() and message in page.banner.text()
    assert message in window.statusBar().currentMessage()
    assert page.track is None
    assert len(open_and_wait(qtbot, window, song).timeline.times) > 0
    assert not page.banner.isVisible()


def test_zoom_and_pan_move_every_view_together(qtbot, window, song):
    page = window.page
    open_and_wait(qtbot, window, song)
    full = page.x_range()
    assert full[1] == pytest.approx(page.track.duration_s, abs=0.05)
    page.zoom(0.25)
    zoomed = page.x_range()
    assert zoomed[1] - zoomed[0] == pytest.approx(0.25 * (full[1] - full[0]), rel=0.02)
    for view in page.views:
        assert view.view_box.viewRange()[0] == pytest.approx(list(zoomed), abs=1e-6)
    page.pan(0.5)
    panned = page.x_range()
    assert panned[0] > zoomed[0]
    for view in page.views:
        assert view.view_box.viewRange()[0] == pytest.approx(list(panned), abs=1e-6)
    # keyboard: F fits the whole track again
    window.activateWindow()
    from PySide6.QtCore import Qt

    qtbot.keyClick(window, Qt.Key.Key_F)
    assert page.x_range()[1] - page.x_range()[0] == pytest.approx(full[1] - full[0], rel=0.02)
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    span = page.x_range()[1] - page.x_range()[0]
    assert span == pytest.approx((full[1] - full[0]) / 1.5**2, rel=0.02)
    before = page.x_range()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert page.x_range()[0] == pytest.approx(before[0] + 0.2 * span, rel=0.02)
    qtbot.keyClick(window, Qt.Key.Key_Minus)
    assert page.x_range()[1] - page.x_range()[0] == pytest.approx(span * 1.5, rel=0.02)


def test_zooming_past_the_overview_brings_a_finer_image(qtbot, window, long_song):
    page = window.page
    window.open_file(long_song)
    qtbot.waitUntil(lambda: page.mel.image is not None and page.stft.image is not None, timeout=20000)
    assert page.mel.image.spec.frame_stride > 1  # a decimated overview
    page.cancel_jobs()
    page.zoom(0.02)
    qtbot.waitUntil(lambda: page.mel.detail_image is not None and page.stft.detail_image is not None,
                    timeout=10000)
    t0, t1 = page.x_range()
    for view in (page.mel, page.stft):
        assert view.detail_image.x0 <= t0 and view.detail_image.x1 >= t1
        assert view.detail_image.dx < view.image.dx
        assert view.value_at((t0 + t1) / 2, 10.5) is not None


def test_seek_moves_the_playhead_everywhere(qtbot, window, song):
    page = window.page
    open_and_wait(qtbot, window, song)
    assert not page.play_button.isEnabled()  # no sound card here: play is disabled, with the reason
    assert "GENRELAB_NO_AUDIO" in page.play_button.toolTip()
    page.seek(7.25)
    for view in page.views:
        assert view.playhead.value() == pytest.approx(7.25, abs=1e-3)
    assert page.player.cursor.position_s == pytest.approx(7.25, abs=1e-3)
    assert page.time_label.text().startswith("0:07.2")
    probs = page.analysis.timeline.at(7.25)
    assert page.summary.now_label.text() == page.analysis.timeline.labels[int(np.argmax(probs))].upper()
    # a click on a view seeks too
    view = page.timeline
    vb = view.view_box
    target = vb.mapViewToScene(vb.mapToView(vb.rect().center()))
    point = view.mapFromScene(target)
    t_expected = vb.mapSceneToView(target).x()
    from PySide6.QtCore import Qt

    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: abs(page.playhead_s() - t_expected) < 0.1, timeout=3000)


def test_display_controls_rerender_in_a_worker(qtbot, window, song):
    page = window.page
    open_and_wait(qtbot, window, song)
    qtbot.waitUntil(lambda: page.stft.image is not None, timeout=15000)
    controls = page.controls
    controls.n_fft.setCurrentIndex(controls.n_fft.findData(1024))
    qtbot.waitUntil(lambda: page.stft.image is not None and page.stft.image.db.shape[0] == 513, timeout=15000)
    controls.colormap.setCurrentIndex(controls.colormap.findData("viridis"))
    qtbot.waitUntil(lambda: page.mel.colormap == "viridis", timeout=3000)
    assert window.settings.display.colormap == "viridis" and window.settings.display.n_fft == 1024
    # a new dB range keeps the spectra and recolours them (in a worker)
    db = page.mel.image.db
    controls.db_range.setValue(40)
    qtbot.waitUntil(lambda: page.mel.image.db_range == 40 and page.stft.image.db_range == 40, timeout=5000)
    assert page.mel.image.db is db
    low = page.mel.image.db <= page.mel.image.peak_db - 40
    assert (page.mel.image.pixels[low] == 0).all() and page.mel.image.pixels.max() == 255
    # note names on the frequency axis
    controls.axis.setCurrentIndex(controls.axis.findData("note"))
    qtbot.waitUntil(lambda: page.mel.axis.mode == "note", timeout=3000)
    ticks = page.mel.axis.tickValues(0, page.mel.image.db.shape[0], 300)[0][1]
    labels = page.mel.axis.tickStrings(ticks, 1, 1)
    assert "C4" in labels or "A4" in labels
    hz = page.mel.axis.hz_at(ticks[labels.index("C4")]) if "C4" in labels else 261.63
    assert hz == pytest.approx(261.63, rel=0.01)


def test_model_input_and_why_this_genre(qtbot, window, song):
    page = window.page
    open_and_wait(qtbot, window, song)
    qtbot.waitUntil(lambda: page.mel.image is not None, timeout=15000)
    page.seek(10.0)
    page.show_model_input()
    qtbot.waitUntil(lambda: page.input_view.current is not None, timeout=5000)
    window_ = page.input_view.current
    assert window_.index == page.window_index_at(10.0)
    assert window_.inputs.shape[1:] == window.engine_state.engine.card.spec.model_input_shape
    np.testing.assert_allclose(window.engine_state.engine.predict(window_.inputs)[0], window_.probs, atol=1e-5)
    page.explain()
    qtbot.waitUntil(lambda: page.occlusion is not None, timeout=20000)
    assert page.mel.overlay.isVisible()
    assert page.occlusion.drop.shape == window_.window_db.shape
    page.clear_explanation()
    assert not page.mel.overlay.isVisible()
