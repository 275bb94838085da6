"""The Analyse page's plots: waveform, STFT, Mel and genre timeline, sharing one time axis."""

import pyqtgraph as pg

from genrelab.gui.palette import BACKGROUND, FOREGROUND

# Arrays are (rows, columns) like the core's feature arrays; plots on a dark background.
pg.setConfigOptions(imageAxisOrder="row-major", background=BACKGROUND, foreground=FOREGROUND, antialias=False)
