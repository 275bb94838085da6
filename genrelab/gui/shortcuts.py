"""The keyboard shortcuts and mouse gestures of the Analyse page, as Help > Keyboard shortcuts lists them."""

from __future__ import annotations

from html import escape

SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Ctrl+O", "open a file (or drop one on the window)"),
    ("Ctrl+D", "open the demo track"),
    ("Space", "play / pause"),
    ("Home", "back to the start"),
    ("click", "move the playhead (and the selected 3-s window) there"),
    ("L", "loop: then drag the shaded region on the waveform over the part to repeat"),
    ("F", "fit the whole track"),
    ("+ / −, wheel", "zoom in / out"),
    ("← / →, drag", "pan"),
    ("M", "model input: what the network hears in the selected window"),
    ("W", "why this genre? for the selected window"),
    ("Ctrl+R", "analyse again"),
    ("Esc", "cancel running jobs"),
    ("Ctrl+1…4", "switch pages"),
)


def shortcuts_html() -> str:
    """A two-column table with room between the columns (keys never run into their descriptions)."""
    rows = "".join(f"<tr><td style='padding-right:18px' nowrap><b>{escape(key)}</b></td>"
                   f"<td>{escape(text)}</td></tr>" for key, text in SHORTCUTS)
    return f"<table cellspacing='0' cellpadding='3'>{rows}</table>"
