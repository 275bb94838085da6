"""One colour per genre, used by every view, legend and panel (hex strings, so HTML and Qt both take them)."""

from __future__ import annotations

#: GTZAN genres: Tableau-10 hues, lightened where a colour would vanish on the dark plot background.
GENRE_COLOURS: dict[str, str] = {
    "blues": "#1f77b4",
    "classical": "#bcbd22",
    "country": "#b07a5a",
    "disco": "#e377c2",
    "hiphop": "#9467bd",
    "jazz": "#ff7f0e",
    "metal": "#a5a5a5",
    "pop": "#17becf",
    "reggae": "#2ca02c",
    "rock": "#d62728",
}

#: Colours for labels outside GTZAN (a model trained on other genres), taken in label order.
EXTRA_COLOURS = (
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5",
    "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1",
)

#: Plot colours shared by the views.
PLAYHEAD = "#ffd166"
SELECTION = (255, 209, 102, 40)
MODEL_WINDOW = (120, 200, 255, 60)
WAVEFORM = "#7fc8f8"
BACKGROUND = "#14161a"
FOREGROUND = "#d0d4da"


def genre_colours(labels: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Colour of each label: GTZAN genres keep theirs, other labels get the extra colours in order."""
    out: dict[str, str] = {}
    extra = iter(EXTRA_COLOURS * (1 + len(labels) // len(EXTRA_COLOURS)))
    for label in labels:
        out[label] = GENRE_COLOURS.get(label.lower()) or next(extra)
    return out


def rgba(hex_colour: str, alpha: int = 255) -> tuple[int, int, int, int]:
    """``"#rrggbb"`` -> (r, g, b, alpha)."""
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), alpha
