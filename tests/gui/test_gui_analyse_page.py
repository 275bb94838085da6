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
    qtbot.waitUntil(lambda: page.stft.image is not None and page.stft.image.db.shape[0] == 513 and
                    page.mel.image is not None and page.mel.image.spec.n_fft == 1024, timeout=15000)
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


# ==================================================================================== issue 14: what is drawn is right
def _wait_spectra(qtbot, page) -> None:
    qtbot.waitUntil(lambda: page.stft.image is not None and page.mel.image is not None, timeout=15000)


def test_fft_size_keeps_the_whole_frequency_axis(qtbot, window, song):
    page = window.page
    open_and_wait(qtbot, window, song)
    _wait_spectra(qtbot, page)
    nyquist = page.track.audio.sr / 2
    for n_fft in (8192, 512, 4096, 2048):
        page.controls.n_fft.setCurrentIndex(page.controls.n_fft.findData(n_fft))
        qtbot.waitUntil(lambda n=n_fft: page.stft.image is not None and page.stft.image.spec.n_fft == n,
                        timeout=15000)
        y0, y1 = page.stft.view_box.viewRange()[1]
        assert page.stft.axis.hz_at(y0) <= 50.0
        assert page.stft.axis.hz_at(y1) == pytest.approx(nyquist, rel=0.01), n_fft
        page.fit()
        assert page.stft.axis.hz_at(page.stft.view_box.viewRange()[1][1]) == pytest.approx(nyquist, rel=0.01)


def test_truncated_file_is_flagged_on_the_page(qtbot, window, tmp_path):
    import soundfile as sf

    from genrelab.audio.synthesis import music_like

    if "MP3" in sf.available_formats():
        full = tmp_path / "full.mp3"
        sf.write(full, music_like(20.0, 22050, seed=3), 22050, format="MP3")
        cut = tmp_path / "cut.mp3"
    else:  # pragma: no cover - a libsndfile without MPEG
        full = tmp_path / "full.wav"
        sf.write(full, music_like(20.0, 22050, seed=3), 22050, subtype="PCM_16")
        cut = tmp_path / "cut.wav"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 3])
    page = window.page
    open_and_wait(qtbot, window, cut)
    assert "truncated" in page.track.audio.flags
    assert page.notice.isVisible()
    assert "cut off" in page.notice.text()
    open_and_wait(qtbot, window, full)  # a whole file: no notice
    assert not page.notice.isVisible()


def test_genre_at_the_playhead_names_its_window(qtbot, window, song):
    page = window.page
    analysis = open_and_wait(qtbot, window, song)
    assert analysis.timeline.starts[0] < 0.05 and analysis.timeline.window_s == 3.0
    detail = page.summary.now_detail.text()
    assert "at 0:00.0" not in detail  # not "the genre at 0:00": the genre of the window 0:00-0:03
    assert "window 0:00.0–0:03.0" in detail
    page.seek(10.0)
    index = page.window_index_at(10.0)
    s = analysis.timeline.starts[index]
    assert f"{int(s // 60)}:{s % 60:04.1f}" in page.summary.now_detail.text()


def test_model_input_and_why_explain_the_one_selected_window(qtbot, window, song):
    page = window.page
    analysis = open_and_wait(qtbot, window, song)
    _wait_spectra(qtbot, page)
    page.seek(10.0)
    selected = page.window_index_at(10.0)
    assert page.selected_window == selected
    page.mel.hovered.emit(3.0, 20.0)  # the mouse elsewhere does not change what is explained
    page.show_model_input()
    qtbot.waitUntil(lambda: page.input_view.current is not None, timeout=5000)
    page.stft.hovered.emit(15.0, 20.0)
    qtbot.wait(150)
    assert page.input_view.current.index == selected
    page.explain()
    qtbot.waitUntil(lambda: page.occlusion is not None, timeout=20000)
    assert page.occlusion_index == selected
    start = float(analysis.timeline.starts[selected])
    span = (start, start + analysis.timeline.window_s)
    for view in page.views:
        assert view.window_region.isVisible(), view.name
        assert view.window_region.getRegion() == pytest.approx(span, abs=1e-6), view.name
    page.seek(2.0)  # a new selection: the model input follows it
    qtbot.waitUntil(lambda: page.input_view.current.index == page.window_index_at(2.0), timeout=5000)


def test_waveform_readout_is_the_signal_not_the_mouse_height(qtbot, window, song):
    page = window.page
    open_and_wait(qtbot, window, song)
    samples, sr = page.track.audio.samples, page.track.audio.sr
    texts = set()
    for y in (0.58, 0.0, -0.58):
        page.waveform.hovered.emit(5.0, y)
        texts.add(page.readout.text())
    assert len(texts) == 1
    text = texts.pop()
    assert "+0.58" not in text or abs(samples).max() > 0.5
    lo, hi = samples[int(4.9 * sr): int(5.1 * sr)].min(), samples[int(4.9 * sr): int(5.1 * sr)].max()
    assert "min" in text and "max" in text
    page.waveform.setXRange(5.0, 5.01, padding=0)  # close in: one sample's value
    page.waveform.hovered.emit(5.005, 0.9)
    value = samples[int(round(5.005 * sr))]
    assert f"{value:+.3f}" in page.readout.text()
    assert lo <= value <= hi


def test_a_failed_open_keeps_the_previous_track(qtbot, window, song, long_song, tmp_path):
    page = window.page
    analysis = open_and_wait(qtbot, window, song)
    bad = tmp_path / "bad.mp3"
    bad.write_text("not audio\n" * 200)
    with qtbot.waitSignal(page.error, timeout=10000) as blocker:
        window.open_file(bad)
    assert "bad.mp3" in blocker.args[0] and page.banner.isVisible()
    qtbot.waitUntil(lambda: not page.busy(), timeout=10000)
    assert page.path == song and page.track.path == song and page.analysis is analysis
    assert song.name in window.windowTitle() and "bad.mp3" not in window.windowTitle()
    assert song.name in page.file_label.text()
    assert all("bad.mp3" not in p for p in window.settings.recent_files)
    assert len(page.timeline.curves) > 0 and page.waveform.pyramid is not None
    # Esc while decoding another file: the current one stays
    window.open_file(long_song)
    page.cancel_jobs()
    qtbot.waitUntil(lambda: not page.busy(), timeout=10000)
    assert page.path == song and page.track.path == song and page.analysis is analysis
    assert song.name in window.windowTitle() and song.name in page.file_label.text()
    assert all("long.wav" not in p for p in window.settings.recent_files)
