"""The Analyse page's transport: the player, its playhead clock, seeking and the loop region on the waveform."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from genrelab.gui.playback import Player
from genrelab.gui.views.waveform_view import WaveformView

PLAYHEAD_INTERVAL_MS = 33


class Transport(QObject):
    """Plays the open track and reports where it is.

    Signals:
        position(float): the playhead moved (seconds).
        playing(bool): playback started or stopped.
        status(str), error(str): messages for the page.
    """

    position = Signal(float)
    playing = Signal(bool)
    status = Signal(str)
    error = Signal(str)

    def __init__(self, waveform: WaveformView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.waveform = waveform
        self.player = Player(self)
        self.looping = False
        self._timer = QTimer(self, interval=PLAYHEAD_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self.player.state_changed.connect(self._on_state)
        self.player.error.connect(self.error)
        waveform.loop_region.sigRegionChanged.connect(self._on_loop_region)

    @property
    def unavailable(self) -> str:
        """Why playback cannot work here ("" when it can)."""
        return self.player.unavailable or ""

    def set_track(self, samples: np.ndarray | None, sr: int = 0) -> None:
        """Play ``samples`` from now on (None: nothing); the loop is switched off."""
        self.set_looping(False)
        if samples is None:
            self.player.set_track(None)
        else:
            self.player.set_track(samples, sr)

    def position_s(self) -> float:
        return self.player.position_s() if self.player.cursor else 0.0

    def toggle(self) -> None:
        if self.player.cursor is not None:
            self.player.toggle()

    def pause(self) -> None:
        self.player.pause()

    def seek(self, t: float) -> None:
        """Move the playhead (and playback) to ``t`` seconds."""
        if self.player.cursor is not None:
            self.position.emit(self.player.seek(t))

    def _on_state(self, playing: bool) -> None:
        if playing:
            self._timer.start()
        else:
            self._timer.stop()
            self._tick()
        self.playing.emit(playing)

    def _tick(self) -> None:
        self.player.poll()
        self.position.emit(self.player.position_s())

    def set_looping(self, on: bool) -> None:
        """Loop the region on the waveform (placed over the middle of the view when switched on)."""
        self.looping = on and self.player.cursor is not None
        if self.looping:
            t0, t1 = self.waveform.view_box.viewRange()[0]
            self.waveform.set_loop_visible(True, t0 + 0.3 * (t1 - t0), t0 + 0.7 * (t1 - t0))
            self._on_loop_region()
            self.status.emit("Loop on: drag the shaded region on the waveform (or its edges) over the part to "
                             "repeat")
        else:
            self.waveform.set_loop_visible(False)
            if self.player.cursor is not None:
                self.player.cursor.set_loop(None)

    def _on_loop_region(self) -> None:
        if self.player.cursor is not None and self.looping:
            start, end = self.waveform.loop_region.getRegion()
            self.player.cursor.set_loop(start, end)
