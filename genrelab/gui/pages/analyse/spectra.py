"""The Analyse page's spectrogram images: overviews of the open track, finer details when zoomed in, new colours
for a new dB range, all computed in workers (``track_tasks``) and only drawn here."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from genrelab.gui.display_settings import DisplaySettings
from genrelab.gui.views.spectrogram_view import SpectrogramView
from genrelab.gui.workers import JobRunner
from genrelab.progress import ProgressFn

if TYPE_CHECKING:
    from genrelab.audio import Audio
    from genrelab.gui.pages.analyse.views_panel import ViewsPanel
    from genrelab.gui.track_tasks import SpectrogramImage

DETAIL_DELAY_MS = 180
GROUPS = ("spectra", "levels", "detail")


class SpectraJobs(QObject):
    """Keeps the STFT and Mel views' images in step with the open track, the display settings and the zoom.

    Signals:
        image_shown(object): a new overview image is on ``view`` (the `SpectrogramView`).
        error(str): a worker failed (one line).
    """

    image_shown = Signal(object)
    error = Signal(str)

    def __init__(self, runner: JobRunner, panel: ViewsPanel, display: DisplaySettings,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner, self.panel, self.display = runner, panel, display
        self.audio: Audio | None = None
        self.spectrograms: tuple[SpectrogramView, ...] = (panel.stft, panel.mel)
        self._detail_timer = QTimer(self, singleShot=True, interval=DETAIL_DELAY_MS)
        self._detail_timer.timeout.connect(self._request_details)
        panel.waveform.view_box.sigXRangeChanged.connect(lambda *_: self._detail_timer.start())
        self._style_views(display)

    def _style_views(self, display: DisplaySettings) -> None:
        for view in self.spectrograms:
            view.set_colormap(display.colormap)
            view.set_frequency_axis(display.frequency_axis, log=view.kind == "stft" and display.stft_scale == "log")

    def cancel(self) -> None:
        for group in GROUPS:
            self.runner.cancel_group(group)

    def set_audio(self, audio: Audio | None) -> None:
        """A new track (None: none): its overview images are computed in workers."""
        self.audio = audio
        self.start()

    def start(self) -> None:
        """Compute both overview images of the open track (cancelling what the previous ones started)."""
        self.cancel()
        audio, display = self.audio, self.display
        if audio is None:
            return
        for view in self.spectrograms:
            def work(progress: ProgressFn, cancel: threading.Event, kind: str = view.kind) -> SpectrogramImage:
                from genrelab.gui.track_tasks import spectrogram_image

                return spectrogram_image(audio.samples, audio.sr, display, kind, progress=progress, cancel=cancel)

            self.runner.submit(f"{'STFT' if view.kind == 'stft' else 'Mel'} spectrogram", work, group="spectra",
                               priority=1, on_done=lambda image, v=view: self._on_image(v, image),
                               on_failed=self.error.emit)

    def _on_image(self, view: SpectrogramView, image: SpectrogramImage) -> None:
        view.set_image(image)
        self.image_shown.emit(view)
        self._detail_timer.start()

    def set_display(self, display: DisplaySettings) -> None:
        """Apply new display settings: colours and labels at once, new images in workers when needed."""
        old, self.display = self.display, display
        self._style_views(display)
        if display.needs_recompute(old):
            self.start()
        elif display.db_range != old.db_range:
            self._recolour(display.db_range)

    def _recolour(self, db_range: float) -> None:
        """New colour indices for the current images (same spectra, another dB range), in a worker."""
        self.runner.cancel_group("levels")
        self.runner.cancel_group("detail")
        for view in self.spectrograms:
            overview, detail = view.image, view.detail_image
            if overview is None:
                continue

            def work(_progress: ProgressFn, _cancel: threading.Event, overview: SpectrogramImage = overview,
                     detail: SpectrogramImage | None = detail) -> tuple[SpectrogramImage, SpectrogramImage | None]:
                return overview.with_range(db_range), detail.with_range(db_range) if detail else None

            self.runner.submit("colours", work, group="levels", visible=False,
                               on_done=lambda images, v=view: v.set_images(*images))

    def _request_details(self) -> None:
        """When zoomed in past the overview's resolution, compute the visible stretch finer, in a worker."""
        audio, display = self.audio, self.display
        if audio is None:
            return
        t0, t1 = self.panel.x_range()
        pixels = max(1, int(self.panel.waveform.view_box.width()))
        self.runner.cancel_group("detail")
        for view in self.spectrograms:
            image = view.image
            if image is None:
                continue
            if (t1 - t0) / image.dx >= pixels * 0.75 or image.spec.frame_stride <= 1.0:
                view.set_detail(None)
                continue
            current = view.detail_image
            if current is not None and current.x0 <= t0 and current.x1 >= t1 and \
                    (t1 - t0) / current.dx >= min(pixels * 0.75, (t1 - t0) * audio.sr / display.hop_length - 1):
                continue
            margin = 0.25 * (t1 - t0)

            def work(_progress: ProgressFn, cancel: threading.Event, kind: str = view.kind,
                     peak: float = image.peak_db, a: float = max(0.0, t0 - margin),
                     b: float = t1 + margin) -> SpectrogramImage:
                from genrelab.gui.track_tasks import spectrogram_image

                return spectrogram_image(audio.samples, audio.sr, display, kind, t0=a, t1=b, peak_db=peak,
                                         cancel=cancel)

            self.runner.submit("detail", work, group="detail", visible=False,
                               on_done=lambda img, v=view: v.set_detail(img) if v.image is not None else None)
