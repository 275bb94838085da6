"""The Analyse page's two explanation tools for the selected window: "Model input" (what the network sees) and
"Why this genre?" (an occlusion map drawn on the spectrogram of the model's input kind)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from genrelab.gui.engine_state import EngineState
from genrelab.gui.views.model_input_view import ModelInputView
from genrelab.gui.workers import JobRunner
from genrelab.progress import ProgressFn

if TYPE_CHECKING:
    from genrelab.analysis import Analysis
    from genrelab.gui.occlusion import OcclusionMap
    from genrelab.gui.pages.analyse.views_panel import ViewsPanel
    from genrelab.gui.track_tasks import WindowInput

WHY_COLOURS = ("Cyan: hiding this part of the sound lowers {genre}'s probability, so it made the model say "
               "{genre}. White: hiding it raises the probability; it pointed elsewhere.")
INPUT_DELAY_MS = 60


class ExplainTools(QObject):
    """Model input and occlusion of the selected window of the current analysis.

    Signals:
        status(str): a short message for the status bar.
        error(str): a one-line problem.
        changed(): an explanation appeared or went.
    """

    status = Signal(str)
    error = Signal(str)
    changed = Signal()

    def __init__(self, runner: JobRunner, engine_state: EngineState, panel: ViewsPanel, dialog_parent: QWidget,
                 colormap: str = "magma") -> None:
        super().__init__(dialog_parent)
        self.runner, self.engine_state, self.panel = runner, engine_state, panel
        self.input_view = ModelInputView(dialog_parent)
        self.colormap = colormap
        self.analysis: Analysis | None = None
        self.hop_s = 0.5
        self.selected: int | None = None
        self.occlusion: OcclusionMap | None = None
        self.occlusion_index: int | None = None
        self._occlusion_rows: np.ndarray | None = None
        self._input_timer = QTimer(self, singleShot=True, interval=INPUT_DELAY_MS)
        self._input_timer.timeout.connect(self._request_model_input)

    # ---- state ------------------------------------------------------------------------------------------
    def set_analysis(self, analysis: Analysis | None, hop_s: float) -> None:
        """A new analysis (None: none): old explanations go."""
        self.runner.cancel_group("occlusion")
        self.runner.cancel_group("input")
        self.analysis, self.hop_s, self.selected = analysis, hop_s, None
        if analysis is None:
            self.input_view.clear()
        else:
            self.input_view.current = None  # shown again for the new analysis when a window is selected
        self.clear()

    def select(self, index: int | None) -> None:
        """The selected window changed: the model input follows it; a map of another window goes."""
        self.selected = index
        if self.occlusion is not None and self.occlusion_index != index:
            self.clear()
        if self.input_view.isVisible():
            self._input_timer.start()

    def set_colormap(self, name: str) -> None:
        """The page's colormap, for the model input picture."""
        self.colormap = name
        current, engine = self.input_view.current, self.engine_state.engine
        if current is not None and engine is not None:
            self.input_view.show_input(current, engine.card, name)

    def window_span(self, index: int) -> tuple[float, float]:
        assert self.analysis is not None
        start = float(self.analysis.timeline.starts[index])
        return start, start + self.analysis.timeline.window_s

    # ---- why this genre? --------------------------------------------------------------------------------
    def explain(self) -> None:
        """Occlusion map of the selected window, computed through the same engine, drawn on the view of the
        model's input kind."""
        engine, analysis, index = self.engine_state.engine, self.analysis, self.selected
        if engine is None or analysis is None or index is None:
            return
        self.runner.cancel_group("occlusion")
        hop = self.hop_s

        def work(progress: ProgressFn, cancel: threading.Event) -> tuple[int, OcclusionMap, np.ndarray]:
            from genrelab.dsp.spectrum import band_frequencies
            from genrelab.gui.occlusion import occlusion_map
            from genrelab.gui.track_tasks import window_input

            window = window_input(analysis, hop, index)
            result = occlusion_map(engine, window.window_db, progress=progress, cancel=cancel)
            return index, result, band_frequencies(engine.card.spec)

        self.runner.submit("Why this genre? (occlusion)", work, group="occlusion", priority=2,
                           on_done=self._on_occlusion, on_failed=self.error.emit)
        self.status.emit("Masking patches of the selected window…")

    def _on_occlusion(self, result: tuple[int, OcclusionMap, np.ndarray]) -> None:
        if result[0] != self.selected:  # the selection moved on while it ran
            self.status.emit("Why this genre? finished for a window no longer selected: press W again")
            return
        self.occlusion_index, self.occlusion, self._occlusion_rows = result
        self.draw()
        self.changed.emit()
        self.status.emit(f"Cyan: this part of the sound made {self.occlusion.label} more likely; "
                         "white: it made it less likely")

    def draw(self) -> None:
        """(Re)draw the map on its view (after a new image there too)."""
        occ, engine = self.occlusion, self.engine_state.engine
        if occ is None or engine is None or self.occlusion_index is None:
            return
        start, end = self.window_span(self.occlusion_index)
        view = self.panel.mel if engine.card.spec.kind == "mel" else self.panel.stft
        view.set_overlay(occ.drop, start, end, self._occlusion_rows,
                         text=f"Why {occ.label}? ({occ.base_probability:.0%} in this window)\n"
                              f"{WHY_COLOURS.format(genre=occ.label)}")

    def clear(self) -> None:
        """Hide the map."""
        had = self.occlusion is not None
        self.occlusion = None
        self.occlusion_index = None
        self.panel.mel.set_overlay(None)
        self.panel.stft.set_overlay(None)
        if had:
            self.changed.emit()

    # ---- model input ------------------------------------------------------------------------------------
    def show_model_input(self) -> None:
        """Open the model-input window (it follows the selected window: the one at the playhead)."""
        self.input_view.show()
        self.input_view.raise_()
        self._request_model_input()

    def _request_model_input(self) -> None:
        engine, analysis, index = self.engine_state.engine, self.analysis, self.selected
        if not self.input_view.isVisible() or engine is None or analysis is None or index is None:
            return
        if self.input_view.current is not None and self.input_view.current.index == index:
            return
        hop = self.hop_s
        self.runner.cancel_group("input")

        def work(_progress: ProgressFn, _cancel: threading.Event) -> WindowInput:
            from genrelab.gui.track_tasks import window_input

            return window_input(analysis, hop, index)

        self.runner.submit("model input", work, group="input", visible=False,
                           on_done=lambda w: self._on_model_input(w, engine))

    def _on_model_input(self, window: WindowInput, engine: object) -> None:
        if engine is self.engine_state.engine and self.analysis is not None:
            self.input_view.show_input(window, self.engine_state.engine.card, self.colormap)
