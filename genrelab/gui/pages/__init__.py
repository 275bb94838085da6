"""The window's pages, one folder (or module) each, registered in :data:`PAGES`.

A page module exposes ``create_page(window) -> QWidget``; the window adds it as a tab in this order. A page whose
module is not installed (or not written yet) is left out. Pages talk to each other only through the main window
(``window.open_file(path)`` opens a track on the Analyse page, ``window.show_page(key)`` switches pages).

Optional methods a page widget may have, which the window calls:
    ``shutdown()``: the window is closing; stop streams and jobs.
    ``busy_reason() -> str``: non-empty while closing would lose work (a take being recorded, a training run);
        the window asks the user before closing and names the reason.
    ``page_shown()``: the page has just become the visible one.
    ``screenshot_ready() -> bool``: ``genrelab --screenshot --page KEY`` waits until this is true.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    """One page of the window: its key (``--page KEY``), its tab title and the module that builds it."""

    key: str
    title: str
    module: str
    tip: str


PAGES: tuple[PageInfo, ...] = (
    PageInfo("analyse", "Analyse", "genrelab.gui.pages.analyse", "open a track and see its genres over time"),
    PageInfo("live", "Live", "genrelab.gui.pages.live", "record or monitor an input with live views and genre"),
    PageInfo("train", "Training", "genrelab.gui.pages.training", "train a genre model and put it to use"),
    PageInfo("library", "Library", "genrelab.gui.pages.library", "tag a music folder and find similar tracks"),
)
PAGE_KEYS = tuple(p.key for p in PAGES)
