"""The Analyse page's explanations: the model input of a window and the occlusion map ("Why this genre?")."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from genrelab.progress import ProgressFn

if TYPE_CHECKING:
    from genrelab.gui.occlusion import OcclusionMap
    from genrelab.gui.track_tasks import WindowInput


class ExplainMixin:
    """Model input and occlusion for the current analysis (mixed into `AnalysePage`)."""

    # ================================================================================ explanation, model input
    def explain(self) -> None:
        """Occlusion map for the window at the playhead, computed through the same engine, drawn on the Mel view."""
        engine, analysis = self.engine_state.engine, self.analysis
        index = self.window_index_at(self.player.position_s() if self.player.cursor else 0.0)
        if engine is None or analysis is None or index is None:
            return
        self.runner.cancel_group("occlusion")
        hop = self.analysis_hop_s

        def work(progress: ProgressFn, cancel: threading.Event) -> tuple[int, OcclusionMap, np.ndarray]:
            from genrelab.dsp.spectrum import band_frequencies
            from genrelab.gui.occlusion import occlusion_map
            from genrelab.gui.track_tasks import window_input

            window = window_input(analysis, hop, index)
            result = occlusion_map(engine, window.window_db, progress=progress, cancel=cancel)
            return index, result, band_frequencies(engine.card.spec)

        self.runner.submit("Why this genre? (occlusion)", work, group="occlusion", priority=2,
                           on_done=self._on_occlusion, on_failed=self.show_error)
        self.status.emit("Masking patches of the window at the playhead…")

    def _on_occlusion(self, result: tuple[int, OcclusionMap, np.ndarray]) -> None:
        self._occlusion_index, self.occlusion, self._occlusion_rows = result
        self._draw_occlusion()
        self._set_track_controls(True)
        self.status.emit(f"Cyan: masking that patch lowers P({self.occlusion.label}); white: raises it")

    def _draw_occlusion(self) -> None:
        occ = self.occlusion
        if occ is None or self.engine_state.engine is None:
            return
        start, end = self._window_span(self._occlusion_index)
        view = self.mel if self.engine_state.engine.card.spec.kind == "mel" else self.stft
        view.set_overlay(occ.drop, start, end, self._occlusion_rows,
                         text=f"Why {occ.label}? ({occ.base_probability:.0%})  cyan: supports it, white: against")

    def clear_explanation(self) -> None:
        self.occlusion = None
        self.mel.set_overlay(None)
        self.stft.set_overlay(None)
        self._set_track_controls(self.track is not None)

    def show_model_input(self) -> None:
        """Open the model-input window (it follows the window under the cursor, else at the playhead)."""
        self.input_view.show()
        self.input_view.raise_()
        self._request_model_input()

    def _request_model_input(self) -> None:
        engine, analysis = self.engine_state.engine, self.analysis
        if not self.input_view.isVisible() or engine is None or analysis is None:
            return
        t = self._hover_t if self._hover_t is not None else self.player.position_s() if self.player.cursor else 0.0
        index = self.window_index_at(t)
        if index is None or (self.input_view.current is not None and self.input_view.current.index == index):
            return
        hop = self.analysis_hop_s
        self.runner.cancel_group("input")
        def work(_progress: ProgressFn, _cancel: threading.Event) -> WindowInput:
            from genrelab.gui.track_tasks import window_input

            return window_input(analysis, hop, index)

        self.runner.submit("model input", work, group="input", visible=False,
                           on_done=lambda w: self._on_model_input(w, engine))

    def _on_model_input(self, window: WindowInput, engine: object) -> None:
        if engine is self.engine_state.engine and self.analysis is not None:
            self.input_view.show_input(window, self.engine_state.engine.card)

