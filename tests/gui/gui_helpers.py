"""Helpers shared by the GUI tests (a module with its own name: two conftest.py files cannot both be imported)."""

from __future__ import annotations

from pathlib import Path


def open_and_wait(qtbot, win, path: Path, timeout: int = 30000):
    """Open ``path`` and wait for its analysis; returns the `Analysis`."""
    with qtbot.waitSignal(win.page.analysis_ready, timeout=timeout) as blocker:
        win.open_file(path)
    return blocker.args[0]
