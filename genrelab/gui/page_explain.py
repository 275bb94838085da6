"""The Analyse page's explanations: the model input of a window and the occlusion map ("Why this genre?")."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from genrelab.progress import ProgressFn

if TYPE_CHECKING:
    from genrelab.gui.occlusion import OcclusionMap
    from genrelab.gui.track_tasks import WindowInput


WHY_COLOURS = ("Cyan: hiding this part of the sound lowers {genre}'s probability, so it made the model say "
               "{genre}. White: hiding it raises the probability; it pointed elsewhere.")


class ExplainMixin:
    """Model input and occlusion for the current analysis (mixed into `AnalysePage`)."""

    # ================================================================================ explanation, model input
    def explain(self) -> None:
        """Occlusion map of the selected window (the one at the playhead, outlined on the views), computed
        through the same engine, drawn on the view of the model's input kind."""
        engine, analysis = self.engine_state.engine, self.analysis
        index = self.selected_window
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
        self.status.emit("Masking patches of the selected window…")

    def _on_occlusion(self, result: tuple[int, OcclusionMap, np.ndarray]) -> None:
        if result[0] != self.selected_window:  # the selection moved on while it ran
            self.status.emit("Why this genre? finished for a window no longer selected: press W again")
            return
        self.occlusion_index, self.occlusion, self._occlusion_rows = result
        self._draw_occlusion()
        self._set_track_controls(True)
        self.status.emit(f"Cyan: this part of the sound made {self.occlusion.label} more likely; "
                         "white: it made it less likely")

    def _draw_occlusion(self) -> None:
        occ = self.occlusion
        if occ is None or self.engine_state.engine is None:
            return
        start, end = self._window_span(self.occlusion_index)
        view = self.mel if self.engine_state.engine.card.spec.kind == "mel" else self.stft
        view.set_overlay(occ.drop, start, end, self._occlusion_rows,
                         text=f"Why {occ.label}? ({occ.base_probability:.0%} in this window)\n"
                              f"{WHY_COLOURS.format(genre=occ.label)}")

    def clear_explanation(self) -> None:
        self.occlusion = None
        self.occlusion_index = None
        self.mel.set_overlay(None)
        self.stft.set_overlay(None)
        self._set_track_controls(self.track is not None)

    def show_model_input(self) -> None:
        """Open the model-input window (it follows the selected window: the one at the playhead)."""
        self.input_view.show()
        self.input_view.raise_()
        self._request_model_input()

    def _request_model_input(self) -> None:
        engine, analysis = self.engine_state.engine, self.analysis
        if not self.input_view.isVisible() or engine is None or analysis is None:
            return
        index = self.selected_window
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
            self.input_view.show_input(window, self.engine_state.engine.card, self.display.colormap)

