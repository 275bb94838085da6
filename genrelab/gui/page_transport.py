"""The Analyse page's transport: play/pause, playhead, seek, loop, and zoom/pan/fit of the shared time axis."""

from __future__ import annotations

from genrelab.gui.notes import format_time
from genrelab.gui.page_layout import PAUSE_TEXT, PLAY_TEXT


class TransportMixin:
    """Playback and navigation (mixed into `AnalysePage`)."""

    # ================================================================================ playback and navigation
    def toggle_play(self) -> None:
        if self.player.cursor is None:
            return
        self.player.toggle()

    def _on_play_state(self, playing: bool) -> None:
        self.play_button.setText(PAUSE_TEXT if playing else PLAY_TEXT)
        if playing:
            self._playhead_timer.start()
        else:
            self._playhead_timer.stop()
            self._tick()

    def _tick(self) -> None:
        self.player.poll()
        self._update_playhead(self.player.position_s())

    def seek(self, t: float) -> None:
        """Move the playhead (and playback) to ``t`` seconds."""
        if self.player.cursor is None:
            return
        self._update_playhead(self.player.seek(t))

    def playhead_s(self) -> float:
        return self.views[0].playhead.value()

    def _update_playhead(self, t: float) -> None:
        for view in self.views:
            view.set_playhead(t)
        duration = self.track.duration_s if self.track else 0.0
        self.time_label.setText(f"{format_time(t, 1)} / {format_time(duration)}")
        self._select_window(t if self.analysis is not None else None)
        index = self.selected_window
        if self.analysis is not None and index is not None:
            start, end = self._window_span(index)
            self.summary.set_now(t, self.analysis.timeline.labels, self.analysis.timeline.probs[index],
                                 start, end)

    def set_looping(self, on: bool) -> None:
        """Loop the region on the waveform (placed over the middle of the view when switched on)."""
        cursor = self.player.cursor
        if on and self.track is not None:
            t0, t1 = self.waveform.view_box.viewRange()[0]
            self.waveform.set_loop_visible(True, t0 + 0.3 * (t1 - t0), t0 + 0.7 * (t1 - t0))
            self._on_loop_region()
            self.status.emit("Loop on: drag the shaded region on the waveform (or its edges) over the part to "
                             "repeat")
        else:
            self.waveform.set_loop_visible(False)
            if cursor is not None:
                cursor.set_loop(None)

    def _on_loop_region(self) -> None:
        if self.player.cursor is not None and self.loop_button.isChecked():
            start, end = self.waveform.loop_region.getRegion()
            self.player.cursor.set_loop(start, end)

    def fit(self) -> None:
        if self.track is not None:
            self.waveform.setXRange(0.0, self.track.duration_s, padding=0)

    def zoom(self, factor: float) -> None:
        """Scale the visible time span by ``factor`` (< 1 zooms in) around the playhead when visible."""
        if self.track is None:
            return
        t0, t1 = self.waveform.view_box.viewRange()[0]
        centre = self.playhead_s() if t0 <= self.playhead_s() <= t1 else (t0 + t1) / 2
        half_left, half_right = (centre - t0) * factor, (t1 - centre) * factor
        self.waveform.setXRange(centre - half_left, centre + half_right, padding=0)

    def pan(self, fraction: float) -> None:
        """Move the visible span by ``fraction`` of its width (negative: earlier)."""
        if self.track is None:
            return
        t0, t1 = self.waveform.view_box.viewRange()[0]
        shift = fraction * (t1 - t0)
        shift = min(max(shift, -t0), self.track.duration_s - t1)
        self.waveform.setXRange(t0 + shift, t1 + shift, padding=0)

    def x_range(self) -> tuple[float, float]:
        t0, t1 = self.waveform.view_box.viewRange()[0]
        return float(t0), float(t1)

