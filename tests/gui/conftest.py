"""Fixtures for the GUI tests: generated audio files, an isolated settings store and a main window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from genrelab.audio.synthesis import music_like

SR = 22050


def write_track(path: Path, seconds: float, seed: int = 0, sr: int = SR) -> Path:
    """A music-like WAV: two different halves, so the views have something to show."""
    half = seconds / 2
    y = np.concatenate([music_like(half, sr, seed=seed),
                        music_like(seconds - half, sr, seed=seed + 1, tempo_bpm=90, root_hz=110, drums=0.8)])
    sf.write(path, y, sr, subtype="PCM_16")
    return path


@pytest.fixture(autouse=True)
def _no_sound_card(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never open an audio stream: playback is exercised through its position logic."""
    monkeypatch.setenv("GENRELAB_NO_AUDIO", "1")


@pytest.fixture(scope="session")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_track(tmp_path_factory.mktemp("audio") / "song.wav", 20.0)


@pytest.fixture(scope="session")
def long_song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Long enough (6 minutes) that its analysis can be cancelled half-way."""
    path = tmp_path_factory.mktemp("audio") / "long.wav"
    block = np.concatenate([music_like(15.0, SR, seed=s) for s in range(4)])
    sf.write(path, np.tile(block, 6), SR, subtype="PCM_16")
    return path


@pytest.fixture
def settings(tmp_path: Path):
    from PySide6.QtCore import QSettings

    from genrelab.gui.settings import Settings

    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def window(qtbot, settings, tiny_model: Path):
    """A main window on the tiny random model, with its own settings file."""
    from genrelab.gui.main_window import MainWindow

    win = MainWindow(settings=settings, model=tiny_model)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitUntil(lambda: win.engine_state.engine is not None, timeout=20000)
    yield win
    win.close()
