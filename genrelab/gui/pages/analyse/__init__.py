"""The Analyse page (``create_page``), composed of the widgets and helpers in this folder:

- ``toolbar.PageToolbar``: play/pause, loop, time, fit/zoom, Model input, Why this genre?, the file name.
- ``messages.MessageArea``: the one-line problem banner and the open track's notice.
- ``views_panel.ViewsPanel``: waveform, STFT, Mel and timeline views on one time axis, readout, legend, empty hint.
- ``spectra.SpectraJobs``: the spectrogram images (overview, zoomed detail, recolouring) in workers.
- ``explain.ExplainTools``: model input and occlusion of the selected window, in workers.
- ``transport.Transport``: the player, its playhead clock, seek and loop.
- ``page.AnalysePage``: composes them and keeps the track and its analysis.
The genre panel (``gui.summary_panel``) and the display controls (``gui.spectrogram_controls``) are shared widgets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genrelab.gui.pages.analyse.page import TRACK_GROUPS, AnalysePage

if TYPE_CHECKING:
    from genrelab.gui.main_window import MainWindow

__all__ = ["AnalysePage", "TRACK_GROUPS", "create_page"]


def create_page(window: MainWindow) -> AnalysePage:
    """The Analyse page for ``window`` (the window builds it first: the other pages open tracks on it)."""
    return AnalysePage(window.runner, window.engine_state, window.settings, window)
