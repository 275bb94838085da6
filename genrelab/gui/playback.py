"""Playback through sounddevice: a `PlaybackCursor` (position, seek, loop; no audio device needed) and a
`Player` that feeds it to a PortAudio output stream.

The stream's callback only copies the next block of the decoded array; the GUI polls the position with a timer.
With no PortAudio library or no output device, `playback_unavailable()` says why and the page disables Play.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

ENV_NO_AUDIO = "GENRELAB_NO_AUDIO"


class PlaybackCursor:
    """Position (in samples) in a mono signal, with play/pause state and an optional loop region.

    `read` is called from the audio thread; every other method from the GUI thread. A lock keeps them apart.
    """

    def __init__(self, samples: np.ndarray, sr: int) -> None:
        self.samples = samples
        self.sr = sr
        self.position = 0
        self.playing = False
        self.loop: tuple[int, int] | None = None
        self._lock = threading.Lock()

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sr if self.sr else 0.0

    @property
    def position_s(self) -> float:
        return self.position / self.sr if self.sr else 0.0

    def seek(self, seconds: float) -> float:
        """Move to ``seconds`` (clamped to the track); returns the new position in seconds."""
        with self._lock:
            self.position = int(np.clip(round(seconds * self.sr), 0, len(self.samples)))
            return self.position / self.sr

    def set_loop(self, start_s: float | None, end_s: float | None = None) -> None:
        """Loop between ``start_s`` and ``end_s``; ``None`` (or an empty region) plays straight through."""
        with self._lock:
            if start_s is None or end_s is None or end_s - start_s < 0.05:
                self.loop = None
                return
            a = int(np.clip(start_s * self.sr, 0, len(self.samples)))
            b = int(np.clip(end_s * self.sr, 0, len(self.samples)))
            self.loop = (min(a, b), max(a, b))
            if not self.loop[0] <= self.position < self.loop[1]:
                self.position = self.loop[0]

    def start(self) -> None:
        """Start playing (from the loop start when outside the loop, from the top when at the end)."""
        with self._lock:
            if self.loop and not self.loop[0] <= self.position < self.loop[1]:
                self.position = self.loop[0]
            elif self.position >= len(self.samples):
                self.position = 0
            self.playing = True

    def pause(self) -> None:
        with self._lock:
            self.playing = False

    def read(self, frames: int) -> np.ndarray:
        """The next ``frames`` samples (zeros when paused or past the end), advancing and wrapping in a loop."""
        out = np.zeros(frames, np.float32)
        with self._lock:
            if not self.playing:
                return out
            filled = 0
            while filled < frames:
                end = self.loop[1] if self.loop else len(self.samples)
                take = min(frames - filled, end - self.position)
                if take > 0:
                    out[filled : filled + take] = self.samples[self.position : self.position + take]
                    self.position += take
                    filled += take
                if self.position >= end:
                    if self.loop:
                        self.position = self.loop[0]
                    else:
                        self.playing = False
                        break
            return out


def playback_unavailable() -> str | None:
    """Why playback cannot work here (no PortAudio, no output device), or None when it can."""
    if os.environ.get(ENV_NO_AUDIO):
        return f"audio output disabled ({ENV_NO_AUDIO} is set)"
    try:
        import sounddevice as sd
    except OSError as exc:  # the PortAudio library is missing
        return f"no audio output: {exc}"
    except ImportError:
        return "no audio output: the sounddevice package is not installed"
    try:
        device = sd.query_devices(kind="output")
    except Exception as exc:  # noqa: BLE001 - PortAudioError or ValueError when there is no device
        return f"no audio output device ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    if not device or int(device.get("max_output_channels", 0)) < 1:
        return "no audio output device"
    return None


#: Output buffer. PortAudio's "low" (about 10 ms) starves PulseAudio's ALSA plugin, the usual Linux setup (the
#: stream then advances at a fraction of real time); 0.2 s plays steadily there, and the playhead subtracts it.
OUTPUT_LATENCY_S = 0.2


class Player(QObject):
    """Plays a `PlaybackCursor` through a sounddevice OutputStream (opened on play, closed on pause)."""

    state_changed = Signal(bool)  # playing
    error = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cursor: PlaybackCursor | None = None
        self.unavailable = playback_unavailable()
        self._stream: Any = None

    @property
    def playing(self) -> bool:
        return bool(self.cursor and self.cursor.playing)

    def set_track(self, samples: np.ndarray | None, sr: int = 0) -> None:
        """Play ``samples`` from now on (None: nothing to play)."""
        self.pause()
        self.cursor = PlaybackCursor(samples, sr) if samples is not None else None

    def position_s(self) -> float:
        """Where the listener is: the cursor minus what is still queued in the output (its latency)."""
        if self.cursor is None:
            return 0.0
        pos = self.cursor.position_s
        if self._stream is not None and self.cursor.playing:
            pos -= float(getattr(self._stream, "latency", 0.0) or 0.0)
            if self.cursor.loop and pos < self.cursor.loop[0] / self.cursor.sr:
                pos = self.cursor.loop[0] / self.cursor.sr
        return max(0.0, pos)

    def seek(self, seconds: float) -> float:
        return self.cursor.seek(seconds) if self.cursor else 0.0

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def play(self) -> None:
        if self.cursor is None:
            return
        if self.unavailable:
            self.error.emit(f"Cannot play: {self.unavailable}")
            return
        try:
            self._open_stream()
        except Exception as exc:  # noqa: BLE001 - PortAudio errors come in several types
            self._close_stream()
            self.error.emit(f"Cannot play: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
            return
        self.cursor.start()
        self.state_changed.emit(True)

    def pause(self) -> None:
        was = self.playing
        if self.cursor is not None:
            self.cursor.pause()
        self._close_stream()
        if was:
            self.state_changed.emit(False)

    def poll(self) -> None:
        """Called by the GUI timer: notices the end of the track and closes the stream."""
        if self._stream is not None and self.cursor is not None and not self.cursor.playing:
            self._close_stream()
            self.state_changed.emit(False)

    def _open_stream(self) -> None:
        import sounddevice as sd

        cursor = self.cursor
        assert cursor is not None
        device = sd.query_devices(kind="output")
        channels = max(1, min(2, int(device["max_output_channels"])))

        def callback(outdata: np.ndarray, frames: int, _time: Any, _status: Any) -> None:
            outdata[:] = cursor.read(frames)[:, None]

        self._close_stream()
        self._stream = sd.OutputStream(samplerate=cursor.sr, channels=channels, dtype="float32",
                                       callback=callback, latency=OUTPUT_LATENCY_S)
        self._stream.start()

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:  # noqa: BLE001,S110 - closing a stream that already died
                pass
