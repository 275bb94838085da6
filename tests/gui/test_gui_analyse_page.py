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
    page.seek(2.0)  # a new selection: the model input follows it, the old window's map goes
    qtbot.waitUntil(lambda: page.input_view.current.index == page.window_index_at(2.0), timeout=5000)
    assert page.occlusion is None and not page.mel.overlay.isVisible()


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


# ==================================================================================== issue 14: understandable
def test_colour_bars_and_readout_share_one_db_reference(qtbot, window, song):
    page = window.page
    open_and_wait(qtbot, window, song)
    _wait_spectra(qtbot, page)
    for view in (page.stft, page.mel):
        assert view.colour_bar.levels() == pytest.approx((-80.0, 0.0))
        assert "track peak" in view.colour_bar.getAxis("right").labelText
    image = page.mel.image
    col = image.db.shape[1] // 2
    t = image.x0 + (col + 0.5) * image.dx
    page.mel.hovered.emit(t, 40.5)
    expected = image.db[40, col] - image.peak_db
    assert f"{expected:6.1f} dB re track peak" in page.readout.text()
    assert expected <= 0
    page.controls.db_range.setValue(50)
    qtbot.waitUntil(lambda: page.mel.colour_bar.levels() == pytest.approx((-50.0, 0.0)), timeout=5000)


def test_axis_titles_follow_the_labels_and_the_stft_can_be_logarithmic(qtbot, window, song):
    page = window.page
    open_and_wait(qtbot, window, song)
    _wait_spectra(qtbot, page)
    assert page.stft.axis.labelText == "STFT (Hz)" and page.mel.axis.labelText == "Mel (Hz)"
    controls = page.controls
    controls.axis.setCurrentIndex(controls.axis.findData("note"))
    qtbot.waitUntil(lambda: page.mel.axis.labelText == "Mel (note)", timeout=3000)
    controls.stft_scale.setCurrentIndex(controls.stft_scale.findData("log"))
    qtbot.waitUntil(lambda: page.stft.image is not None and page.stft.image.row_hz[0] > 10, timeout=15000)
    assert page.stft.axis.labelText == "STFT, log (note)"
    hz = page.stft.image.row_hz
    ratios = hz[1:] / hz[:-1]
    assert ratios == pytest.approx(np.full_like(ratios, ratios[0]), rel=1e-6)  # equal steps in octaves
    assert hz[-1] == pytest.approx(page.track.audio.sr / 2, rel=1e-3)
    y0, y1 = page.stft.view_box.viewRange()[1]
    assert page.stft.axis.hz_at(y1) == pytest.approx(page.track.audio.sr / 2, rel=0.01)
    controls.axis.setCurrentIndex(controls.axis.findData("mel"))
    qtbot.waitUntil(lambda: page.stft.axis.labelText == "STFT, log (Mel)", timeout=3000)


def test_one_frequency_control_for_both_views_up_to_nyquist_at_once(qtbot, window, song):
    page = window.page
    open_and_wait(qtbot, window, song)
    _wait_spectra(qtbot, page)
    nyquist = page.track.audio.sr / 2
    fmax = page.controls.fmax
    assert fmax.itemText(0) == "Nyquist"
    assert all(fmax.itemData(i) < nyquist for i in range(1, fmax.count()))
    with qtbot.waitSignal(page.controls.changed, timeout=50):  # no debounce: at once
        fmax.setEditText("3456")
        fmax.lineEdit().editingFinished.emit()
    qtbot.waitUntil(lambda: page.stft.image.row_hz[-1] <= 3456 and page.mel.image.spec.fmax == 3456, timeout=15000)
    assert page.stft.image.row_hz[-1] > 3456 - nyquist * 2 / page.display.n_fft
    for view in (page.stft, page.mel):
        assert view.axis.hz_at(view.view_box.viewRange()[1][1]) <= 3500
    fmax.setEditText("30 kHz")  # above Nyquist: Nyquist
    fmax.lineEdit().editingFinished.emit()
    assert fmax.currentText() == "Nyquist"
    qtbot.waitUntil(lambda: page.stft.image.row_hz[-1] == pytest.approx(nyquist), timeout=15000)
    fmax.setEditText("loud")  # not a frequency: the value in force stays
    fmax.lineEdit().editingFinished.emit()
    assert fmax.currentText() == "Nyquist" and fmax.value == 0
    fmin = page.controls.fmin
    fmin.setEditText("50 kHz")  # a Min freq above Nyquist is refused
    fmin.lineEdit().editingFinished.emit()
    assert fmin.value == 0 and fmin.currentText() == "0 Hz"
    with qtbot.waitSignal(page.controls.changed, timeout=50):
        fmin.setEditText("200")
        fmin.lineEdit().editingFinished.emit()
    qtbot.waitUntil(lambda: page.stft.image.row_hz[0] >= 200 and page.mel.image.spec.fmin == 200, timeout=15000)


def test_display_controls_stay_put_and_long_stretch_lists_scroll(qtbot, window, song):
    import dataclasses

    from genrelab.analysis import Segment

    page = window.page
    analysis = open_and_wait(qtbot, window, song)
    before = page.display_box.mapTo(page, page.display_box.rect().topLeft())
    many = [Segment(60.0 * i, 60.0 * (i + 1), analysis.timeline.labels[i % 10], 0.6) for i in range(60)]
    long = dataclasses.replace(analysis, summary=dataclasses.replace(analysis.summary, segments=many))
    page.summary.set_analysis(long, page.colours)
    qtbot.wait(50)
    assert page.display_box.mapTo(page, page.display_box.rect().topLeft()) == before
    assert page.display_box.visibleRegion().boundingRect().height() == page.display_box.height()
    assert page.summary.stretches_box.verticalScrollBar().maximum() > 0
    assert page.summary.stretches.text().count("<br>") == 59


def test_model_input_explains_itself_and_why_says_what_colours_mean(qtbot, window, song):
    from genrelab.gui.views.spectrogram_view import colormap_lut

    page = window.page
    open_and_wait(qtbot, window, song)
    _wait_spectra(qtbot, page)
    page.seek(6.0)
    page.show_model_input()
    qtbot.waitUntil(lambda: page.input_view.current is not None, timeout=5000)
    view, current = page.input_view, page.input_view.current
    spec = window.engine_state.engine.card.spec
    assert "Hz" in view.axis.labelText and view.axis.hz_at(spec.n_bins) == pytest.approx(
        current.row_hz[-1], rel=0.05)
    assert view.plot.getPlotItem().getViewBox().viewRange()[0] == pytest.approx([current.start_s, current.end_s])
    assert view.colour_bar.levels() == pytest.approx((-spec.top_db, 0.0))
    assert "hears 3 s" in view.sentence.text() and view.sentence.text().count(".") <= 2
    np.testing.assert_array_equal(view.image.lut, colormap_lut("magma"))
    page.controls.colormap.setCurrentIndex(page.controls.colormap.findData("viridis"))
    qtbot.waitUntil(lambda: np.array_equal(view.image.lut, colormap_lut("viridis")), timeout=3000)
    page.explain()
    qtbot.waitUntil(lambda: page.occlusion is not None, timeout=20000)
    text = page.mel.overlay_label.textItem.toPlainText()
    assert "Cyan" in text and "White" in text and "hiding" in text.lower() and page.occlusion.label in text
    # the map follows the view's rows, whatever the display's bands (here half the model's)
    page.controls.n_mels.setCurrentIndex(page.controls.n_mels.findData(64))
    qtbot.waitUntil(lambda: page.mel.image.db.shape[0] == 64 and page.mel.overlay.image is not None and
                    page.mel.overlay.image.shape[0] == 64, timeout=15000)
    rect = page.mel.overlay.mapRectToParent(page.mel.overlay.boundingRect())
    assert (rect.top(), rect.bottom()) == pytest.approx((0.0, 64.0))
    model_hz = current.row_hz
    row = 40
    band = int(np.argmin(np.abs(model_hz - page.mel.image.row_hz[row])))
    np.testing.assert_allclose(page.mel.overlay.image[row], page.occlusion.drop[band])


def test_empty_page_shows_only_the_hint(qtbot, window, song):
    page = window.page
    assert page.stack.currentWidget() is page.empty_hint and "Open" in page.empty_hint.text()
    assert not any(view.isVisible() for view in page.views)
    assert not page.summary.now_heading.isVisible() and not page.summary.stretches_box.isVisible()
    open_and_wait(qtbot, window, song)
    assert all(view.isVisible() for view in page.views)
    assert page.summary.now_heading.isVisible()


def test_toolbar_stays_put_and_hover_is_cleared_on_a_new_file(qtbot, window, song, tmp_path):
    page = window.page
    open_and_wait(qtbot, window, song)
    x = page.why_button.mapTo(page, page.why_button.rect().topLeft()).x()
    page._on_play_state(True)
    assert page.play_button.text().endswith("Pause")
    qtbot.wait(20)
    assert page.why_button.mapTo(page, page.why_button.rect().topLeft()).x() == x
    page._on_play_state(False)
    page.waveform.hovered.emit(3.0, 0.0)
    assert page.readout.text().strip()
    import soundfile as sf

    from genrelab.audio.synthesis import music_like

    other = tmp_path / "other.wav"
    sf.write(other, music_like(8.0, 22050, seed=9), 22050, subtype="PCM_16")
    open_and_wait(qtbot, window, other)
    assert not page.readout.text().strip()
    assert "drag" in page.loop_button.toolTip()
    with qtbot.waitSignal(page.status, timeout=1000) as blocker:
        page.loop_button.setChecked(True)
    assert "drag" in blocker.args[0]


def test_shortcut_columns_do_not_overlap(qapp):
    from PySide6.QtGui import QFontMetrics, QTextDocument

    from genrelab.gui.shortcuts import SHORTCUTS, shortcuts_html

    doc = QTextDocument()
    doc.setHtml(shortcuts_html())
    doc.setTextWidth(600)
    layout = doc.documentLayout()
    bold = doc.defaultFont()
    bold.setBold(True)
    widest = max(QFontMetrics(bold).horizontalAdvance(key) for key, _ in SHORTCUTS)
    block = doc.begin()
    lefts = {}
    while block.isValid():
        lefts[block.text()] = layout.blockBoundingRect(block).left()
        block = block.next()
    for key, text in SHORTCUTS:
        assert lefts[text] >= lefts[key] + widest + 8, (key, text)


def test_about_model_starts_with_a_plain_summary_from_the_card(qtbot, window):
    import dataclasses

    from genrelab.gui.about_model import AboutModelDialog, plain_summary

    card = window.engine_state.engine.card
    labels = card.labels
    first = dataclasses.replace(card, metrics={"valid": {"track_accuracy": 0.6142, "window_accuracy": 0.5562,
                                                         "clips": 197, "per_genre_recall": {
                                                             g: 0.9 - 0.05 * i for i, g in enumerate(labels)}}})
    text = plain_summary(first)
    assert "197 clips" in text and "61%" in text and "56%" in text and "validation" in text
    assert f"{labels[-1]} (recognised 45%" in text
    matrix = [[10 if i == j else 0 for j in range(10)] for i in range(10)]
    matrix[9][3] = 7
    second = dataclasses.replace(card, metrics={"test": {"track_accuracy": 0.83, "clips": 290, "confusion": matrix}})
    text = plain_summary(second)
    assert "290 clips" in text and "83%" in text and "test part" in text and "a little less" not in text
    assert f"{labels[9]} taken for {labels[3]}" in text
    assert "no score" in plain_summary(dataclasses.replace(card, metrics={}))
    window.about_model()
    shown = window.about_box.text()  # the summary first, then the whole card
    assert shown.index("It knows") < shown.index("The model card") < shown.index("Architecture")
    assert isinstance(window.about_box, AboutModelDialog)


def test_export_dialogs_start_in_the_last_export_folder(qtbot, window, song, tmp_path, monkeypatch):
    from pathlib import Path

    from PySide6.QtCore import QStandardPaths
    from PySide6.QtWidgets import QFileDialog

    asked = []
    target = tmp_path / "exports"
    target.mkdir()

    def save_name(_parent, _title, start, _filters):
        asked.append(str(Path(start).parent))
        return str(target / Path(start).name), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_name))
    open_and_wait(qtbot, window, song)
    window._export_timeline("csv")
    window._export_view(window.page.waveform)
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    assert asked[0] in (documents, QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MusicLocation),
                        str(Path.home()))
    assert "genrelab" not in asked[0].lower() or asked[0] == str(Path.home())
    assert asked[1] == str(target)
    assert (target / "song-timeline.csv").exists() and (target / "song-waveform.png").exists()
