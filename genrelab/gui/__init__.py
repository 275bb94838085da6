"""The GenreLab desktop app (PySide6 + pyqtgraph). Widgets draw; the core (`genrelab.dsp`, `genrelab.analysis`)
computes, always in a worker (see :mod:`genrelab.gui.workers`)."""
