"""The Live page offscreen: without audio it says why and the rest works; with the real null sink it records a
take from the sink's monitor, its views fill, and Stop opens the take on the Analyse page."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
import soundfile as sf
from nullsink import SR, NullSink

from genrelab.audio.synthesis import music_like


@pytest.fixture
def journal(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRELAB_TAKE_JOURNAL", str(tmp_path / "journal"))
    monkeypatch.setenv("GENRELAB_RECORDINGS", str(tmp_path / "takes"))
    return tmp_path


def test_live_page_without_audio_input_shows_a_note(qtbot, journal, window):
    page = window.show_page("live")
    qtbot.waitUntil(lambda: page.panel.note.isVisible(), timeout=10000)
    assert "Recording is not available" in page.panel.note.text()
    assert not page.panel.record.isEnabled() and not page.panel.monitor.isEnabled()
    assert page.busy_reason() == ""
    window.show_page("analyse")  # the rest of the app is unaffected


@pytest.fixture
def audio_on(monkeypatch, journal):
    monkeypatch.delenv("GENRELAB_NO_AUDIO", raising=False)
    sink = NullSink(f"genrelab_gui_{os.getpid()}_{time.monotonic_ns() % 100000}")
    yield sink
    sink.remove()


def _live_page_on(qtbot, window, source: str):  # noqa: ANN001, ANN202 - pytest-qt objects
    """The Live page with ``source`` (a null sink's monitor) picked as its input."""
    page = window.show_page("live")
    qtbot.waitUntil(lambda: page.panel.device.count() > 0, timeout=15000)
    labels = [page.panel.device.itemData(i).name for i in range(page.panel.device.count())]
    page.panel.device.setCurrentIndex(labels.index(source))
    return page


@pytest.mark.audio_device
def test_live_page_records_the_monitor_and_opens_the_take(qtbot, audio_on, window, tmp_path):
    sink = audio_on
    music = tmp_path / "music.wav"
    sf.write(music, np.stack([music_like(6.0, SR, seed=8)] * 2, axis=1) * 0.6, SR, subtype="PCM_16")
    page = _live_page_on(qtbot, window, sink.monitor)
    page.panel.record.click()
    qtbot.waitUntil(lambda: page.session.take is not None, timeout=15000)
    take_path = page.session.take.path
    assert page.busy_reason().startswith("A take is being recorded")
    player = sink.play(music)
    qtbot.waitUntil(lambda: page.session.take.seconds > 4.0, timeout=20000)
    # the views received data: waveform points, both spectrogram images, a genre in the banner and timeline
    x, y = page.views.waveform.curve.getData()
    assert x is not None and len(x) > 100 and np.abs(y).max() > 0.1
    for view in (page.views.stft, page.views.mel):
        assert view.overview.image is not None and view.overview.image.shape[1] > 100
        assert view.overview.image.max() > 100  # music, not silence, is drawn
    qtbot.waitUntil(lambda: bool(page.banner.current), timeout=10000)
    assert page.views.timeline.probs.shape[0] >= 1
    assert page.panel.dropouts.text() == "dropouts: 0"
    page.panel.record.click()  # Stop
    qtbot.waitUntil(lambda: window.current_page_key() == "analyse" and window.page.path == take_path,
                    timeout=20000)
    player.terminate()
    player.wait()
    data, rate = sf.read(take_path, dtype="float32")
    assert rate == SR and data.shape[1] == 2 and len(data) / rate > 4.0
    assert not page.session.running and page.busy_reason() == ""


@pytest.mark.audio_device
def test_live_page_keeps_the_take_when_the_input_disappears(qtbot, audio_on, window):
    sink = audio_on
    page = _live_page_on(qtbot, window, sink.monitor)
    page.panel.record.click()
    qtbot.waitUntil(lambda: page.session.take is not None and page.session.take.seconds > 1.0, timeout=15000)
    take_path = page.session.take.path
    sink.remove()  # unplugged mid-take
    qtbot.waitUntil(lambda: "unplugged" in page.panel.note.text() and not page.session.running, timeout=15000)
    qtbot.waitUntil(lambda: page.last_take == take_path, timeout=15000)
    assert "Saved" in page.panel.note.text() and window.current_page_key() == "live"
    info = sf.info(str(take_path))
    assert info.duration >= 1.0
    assert not page.panel.record.isChecked() and page.busy_reason() == ""


@pytest.mark.audio_device
def test_live_page_names_no_genre_for_silence(qtbot, audio_on, window, tmp_path):
    """Monitoring an input where nothing plays: the large banner says silence instead of the model's guess."""
    sink = audio_on
    page = _live_page_on(qtbot, window, sink.monitor)
    page.panel.monitor.click()
    qtbot.waitUntil(lambda: page.session.analyser is not None and len(page.session.analyser.estimates) >= 2,
                    timeout=20000)
    assert page.banner.current == "" and "silence" in page.banner.detail.text()
    music = tmp_path / "music.wav"
    sf.write(music, np.stack([music_like(5.0, SR, seed=9)] * 2, axis=1) * 0.6, SR, subtype="PCM_16")
    player = sink.play(music)
    qtbot.waitUntil(lambda: bool(page.banner.current), timeout=15000)  # music: a genre again
    player.terminate()
    player.wait()
    page.panel.monitor.click()
