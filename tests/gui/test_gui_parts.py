"""Parts of the app that need no window: playback position logic, the waveform pyramid, occlusion, settings,
the model-input cut, and the page with no model installed."""

from __future__ import annotations

import numpy as np
import pytest

from genrelab.dsp.windows import inputs_from_scaled
from genrelab.gui.occlusion import occlusion_map, patch_positions
from genrelab.gui.playback import PlaybackCursor
from genrelab.gui.waveform_pyramid import WaveformPyramid


def test_cursor_reads_seeks_and_stops_at_the_end():
    cursor = PlaybackCursor(np.arange(100, dtype=np.float32), sr=10)
    assert not cursor.read(5).any()  # paused: silence, no movement
    cursor.start()
    np.testing.assert_array_equal(cursor.read(4), [0, 1, 2, 3])
    assert cursor.seek(9.5) == pytest.approx(9.5)
    block = cursor.read(8)
    np.testing.assert_array_equal(block, [95, 96, 97, 98, 99, 0, 0, 0])
    assert not cursor.playing and cursor.position == 100
    cursor.start()  # at the end, play starts again from the top
    assert cursor.position == 0 and cursor.playing
    assert cursor.seek(-3) == 0.0 and cursor.seek(1e9) == pytest.approx(10.0)


def test_cursor_loops_a_selection():
    cursor = PlaybackCursor(np.arange(100, dtype=np.float32), sr=10)
    cursor.set_loop(2.0, 3.0)
    cursor.start()
    assert cursor.position == 20
    np.testing.assert_array_equal(cursor.read(15), list(range(20, 30)) + list(range(20, 25)))
    assert cursor.playing
    cursor.set_loop(None)
    assert cursor.loop is None


def test_pyramid_envelope_bounds_the_signal_at_every_zoom():
    rng = np.random.default_rng(0)
    sr = 8000
    y = (rng.standard_normal(sr * 600) * 0.1).astype(np.float32)  # ten minutes
    y[123_456] = 0.99
    pyramid = WaveformPyramid(y, sr)
    assert len(pyramid.levels[-1].mins) <= 256
    for t0, t1 in [(0.0, 600.0), (10.0, 70.0), (15.0, 15.5), (15.43, 15.44)]:
        x, env = pyramid.envelope(t0, t1, 1000)
        assert len(x) <= 2 * 1000 + 8
        a, b = int(t0 * sr), int(t1 * sr)
        assert env.max() >= y[a:b].max() - 1e-6 and env.min() <= y[a:b].min() + 1e-6
        assert x.min() <= t0 + (t1 - t0) * 0.01 and x.max() >= t1 - (t1 - t0) * 0.01
    x, env = pyramid.envelope(0, 600, 1000)
    assert env.max() == pytest.approx(0.99)


def test_occlusion_masks_through_the_same_engine(tiny_model, tiny_paper_model):
    from genrelab.dsp import model_inputs, scale
    from genrelab.model.engine import OnnxEngine

    rng = np.random.default_rng(1)
    for model in (tiny_model, tiny_paper_model):
        engine = OnnxEngine(model)
        spec = engine.card.spec
        window_db = (rng.standard_normal((1, spec.n_bins, spec.window_columns)) * 10 - 40).astype(np.float32)
        np.testing.assert_allclose(inputs_from_scaled(scale(window_db, spec), spec), model_inputs(window_db, spec),
                                   atol=1e-6)
        result = occlusion_map(engine, window_db[0], patch_bins=32, patch_cols=10)
        assert result.drop.shape == window_db[0].shape and np.isfinite(result.drop).all()
        base = engine.predict(model_inputs(window_db, spec))[0]
        assert result.target == int(np.argmax(base)) and result.label == engine.card.labels[result.target]
        assert result.base_probability == pytest.approx(float(base.max()), abs=1e-6)
        assert np.abs(result.drop).max() > 0


def test_patches_cover_every_cell():
    for n, size, step in [(128, 16, 8), (39, 5, 2), (10, 20, 5), (7, 3, 3)]:
        covered = np.zeros(n, bool)
        for start in patch_positions(n, size, step):
            covered[start : start + min(size, n)] = True
        assert covered.all()


def test_settings_persist(tmp_path, qapp):
    from dataclasses import replace

    from PySide6.QtCore import QSettings

    from genrelab.gui.settings import Settings

    def store() -> Settings:
        return Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))

    first = store()
    for name in ("a.wav", "b.flac", "a.wav"):
        first.add_recent(tmp_path / name)
    first.backend, first.device, first.hop_s = "torch", "cpu", 1.25
    first.display = replace(first.display, colormap="viridis", hop_length=256, n_fft=4096)
    first.sync()
    again = store()
    assert [p.rsplit("/", 1)[-1] for p in again.recent_files] == ["a.wav", "b.flac"]
    assert again.last_folder == str(tmp_path.resolve())
    assert (again.backend, again.device, again.hop_s) == ("torch", "cpu", 1.25)
    assert (again.display.colormap, again.display.hop_length, again.display.n_fft) == ("viridis", 256, 4096)


def test_no_model_installed_is_a_normal_state(qtbot, settings, song, monkeypatch, tmp_path):
    from genrelab.gui.main_window import MainWindow
    from genrelab.model import registry

    monkeypatch.setattr(registry, "resources_dir", lambda: tmp_path)  # an install without the shipped model
    monkeypatch.delenv(registry.ENV_MODEL, raising=False)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: not win.engine_state.loading, timeout=20000)
    status = win.page.summary.model_status.text()
    assert status.startswith("No genre model installed — ") and "no genre model is installed" in status
    win.open_file(song)
    qtbot.waitUntil(lambda: win.page.mel.image is not None and win.page.stft.image is not None, timeout=20000)
    assert win.page.waveform.pyramid is not None
    assert win.page.analysis is None and not win.page.why_button.isEnabled()
    assert "No genre model installed" in win.page.timeline.message.toPlainText()
    win.close()


def test_qt_binding_does_not_drain_none(qapp):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every void call and aborts long sessions;
    pyproject pins a release without that bug. Many thousand void calls leave None's count unchanged."""
    import sys

    from PySide6.QtCore import QObject

    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(5_000):
        obj.setObjectName("x")
    assert sys.getrefcount(None) >= before - 100


@pytest.mark.parametrize("minutes", [5, 7, 10, 15])
def test_pyramid_gives_one_min_max_pair_per_pixel_at_any_width(minutes):
    """Long views (issue 14): one (min, max) pair per pixel column, evenly spaced, bounding that column's
    samples, so the waveform draws as a filled envelope (no hatching, no smooth 'sine')."""
    sr = 4000
    rng = np.random.default_rng(2)
    n = sr * 60 * 20
    y = (rng.standard_normal(n) * (0.2 + 0.15 * np.sin(np.arange(n) / sr / 40))).astype(np.float32)
    pyramid = WaveformPyramid(y, sr)
    pixels = 1211
    t0 = 60.0 + 0.37
    t1 = t0 + minutes * 60
    x, env = pyramid.envelope(t0, t1, pixels)
    pairs = len(x) // 2
    assert pixels <= pairs <= pixels + 2
    np.testing.assert_allclose(x[0::2], x[1::2])
    step = np.diff(x[0::2])
    assert step.max() <= (t1 - t0) / pixels * 1.05 and step.min() >= (t1 - t0) / pixels * 0.95
    lows, highs = env[0::2], env[1::2]
    assert (lows <= highs).all()
    edges = np.round(np.linspace(t0 * sr, t1 * sr, pixels + 1)).astype(int)
    for k in range(0, pixels, 97):  # each pair bounds its column's samples (to within one pyramid block)
        i = int(np.argmin(np.abs(x[0::2] - (edges[k] + edges[k + 1]) / 2 / sr)))
        assert lows[i] <= y[edges[k] + 64: edges[k + 1] - 64].min() + 1e-6
        assert highs[i] >= y[edges[k] + 64: edges[k + 1] - 64].max() - 1e-6


def test_waveform_draws_a_filled_envelope_on_a_long_file(qtbot):
    """Rendered: every pixel column of the zoomed-out waveform is one unbroken vertical run (no hatching)."""
    from PySide6.QtGui import QImage

    from genrelab.gui.palette import WAVEFORM, rgba
    from genrelab.gui.views.waveform_view import WaveformView

    sr = 4000
    rng = np.random.default_rng(3)
    n = sr * 60 * 20
    y = (rng.standard_normal(n) * 0.25).astype(np.float32)
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(900, 200)
    view.show()
    view.set_pyramid(WaveformPyramid(y, sr))
    colour = np.array(rgba(WAVEFORM)[:3])
    for minutes in (5, 7, 15):
        view.setXRange(30.0, 30.0 + 60 * minutes, padding=0)
        qtbot.wait(20)
        image = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
        w, h = image.width(), image.height()
        data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * h).reshape(h, -1)
        rgb = data[:, : 3 * w].reshape(h, w, 3).astype(int)
        mask = np.abs(rgb - colour).sum(axis=2) < 60
        rect = view.view_box.sceneBoundingRect().toRect()
        columns = range(rect.left() + 3, rect.right() - 3)
        extents, gaps = [], 0
        for c in columns:
            rows = np.nonzero(mask[:, c])[0]
            extents.append(rows.max() - rows.min() + 1 if len(rows) else 0)
            gaps += len(rows) == 0 or rows.max() - rows.min() + 1 > len(rows) + 1
        short = sum(e < 0.6 * np.median(extents) for e in extents)
        assert gaps <= 0.02 * len(columns) and short <= 0.02 * len(columns), (minutes, gaps, short)


def test_spectrogram_view_names_its_db_reference(qtbot):
    """The colour bar says what 0 dB is (the Analyse page: the track's peak; another page may set dBFS)."""
    from genrelab.gui.views.spectrogram_view import SpectrogramView

    view = SpectrogramView("mel")
    qtbot.addWidget(view)
    assert view.colour_bar.getAxis("right").labelText == "dB re track peak"
    assert view.reference_text() == "re track peak"
    view.set_reference("dBFS")
    assert view.colour_bar.getAxis("right").labelText == "dBFS" and view.reference_text() == "dBFS"
    view.set_db_range(60)
    assert view.colour_bar.levels() == pytest.approx((-60.0, 0.0))


def test_the_app_has_its_icon_and_desktop_entry_name(qtbot):
    from genrelab.gui.app import make_application

    app = make_application()
    assert not app.windowIcon().isNull()
    assert app.desktopFileName() == "genrelab"  # resources/genrelab.desktop, so docks group the window with it
