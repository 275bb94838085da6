"""The Analyse page's spectrograms: overview images, finer details when zoomed in, new colours, all in workers."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from genrelab.gui.display_settings import DisplaySettings
from genrelab.gui.views.spectrogram_view import SpectrogramView
from genrelab.progress import ProgressFn

if TYPE_CHECKING:
    from genrelab.gui.track_tasks import SpectrogramImage


class SpectraMixin:
    """STFT and Mel images of the current track (mixed into `AnalysePage`)."""

    # ================================================================================ spectrograms
    def _start_spectra(self) -> None:
        if self.track is None:
            return
        for group in ("spectra", "detail", "levels"):
            self.runner.cancel_group(group)
        audio, display = self.track.audio, self.display
        for view in (self.stft, self.mel):
            kind = view.kind

            def work(progress: ProgressFn, cancel: threading.Event, kind: str = kind) -> SpectrogramImage:
                from genrelab.gui.track_tasks import spectrogram_image

                return spectrogram_image(audio.samples, audio.sr, display, kind, progress=progress, cancel=cancel)

            self.runner.submit(f"{'STFT' if kind == 'stft' else 'Mel'} spectrogram", work, group="spectra",
                               priority=1, on_done=lambda image, v=view: self._on_spectrogram(v, image),
                               on_failed=self.show_error)

    def _on_spectrogram(self, view: SpectrogramView, image: SpectrogramImage) -> None:
        view.set_image(image)
        if view is self.mel and self.occlusion is not None:
            self._draw_occlusion()
        self._detail_timer.start()

    def set_display(self, display: DisplaySettings) -> None:
        """Apply new display settings: colours and labels at once, new spectra in a worker when needed."""
        old, self.display = self.display, display
        self.settings.display = display
        for view in (self.stft, self.mel):
            view.set_colormap(display.colormap)
            view.set_frequency_axis(display.frequency_axis, log=view.kind == "stft" and display.stft_scale == "log")
        if display.needs_recompute(old):
            self._start_spectra()
        elif display.db_range != old.db_range:
            self._recolour(display.db_range)
        current = self.input_view.current
        if display.colormap != old.colormap and current is not None and self.engine_state.engine is not None:
            self.input_view.show_input(current, self.engine_state.engine.card, display.colormap)

    def _recolour(self, db_range: float) -> None:
        """New colour indices for the current images (same spectra, another dB range), in a worker."""
        self.runner.cancel_group("levels")
        self.runner.cancel_group("detail")
        for view in (self.stft, self.mel):
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
        if self.track is None:
            return
        t0, t1 = self.waveform.view_box.viewRange()[0]
        pixels = max(1, int(self.waveform.view_box.width()))
        audio, display = self.track.audio, self.display
        self.runner.cancel_group("detail")
        for view in (self.stft, self.mel):
            image = view.image
            if image is None:
                continue
            overview_columns = (t1 - t0) / image.dx
            if overview_columns >= pixels * 0.75 or image.spec.frame_stride <= 1.0:
                view.set_detail(None)
                continue
            current = view.detail_image
            if current is not None and current.x0 <= t0 and current.x1 >= t1 and \
                    (t1 - t0) / current.dx >= min(pixels * 0.75, (t1 - t0) * audio.sr / display.hop_length - 1):
                continue
            margin = 0.25 * (t1 - t0)

            def work(progress: ProgressFn, cancel: threading.Event, kind: str = view.kind,
                     peak: float = image.peak_db, a: float = max(0.0, t0 - margin),
                     b: float = t1 + margin) -> SpectrogramImage:
                from genrelab.gui.track_tasks import spectrogram_image

                return spectrogram_image(audio.samples, audio.sr, display, kind, t0=a, t1=b, peak_db=peak,
                                         cancel=cancel)

            self.runner.submit("detail", work, group="detail", visible=False,
                               on_done=lambda img, v=view: v.set_detail(img) if v.image is not None else None)

