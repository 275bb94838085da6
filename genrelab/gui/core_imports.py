"""Import the core once, from one worker at a time.

The GUI thread never imports the core (scipy.signal, librosa and numba take seconds to load); workers do. Two
workers importing the same package for the first time at once can trip Python's import-deadlock detection
(``_DeadlockError``), so every job first passes through :func:`import_core`, which loads everything under a lock.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_done = False


def import_core() -> None:
    """Load the core, the worker tasks and librosa's Mel filters (through the default filter bank). Idempotent."""
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        import genrelab.analysis  # noqa: F401
        import genrelab.gui.occlusion  # noqa: F401
        import genrelab.gui.track_tasks  # noqa: F401
        import genrelab.model.engine  # noqa: F401
        from genrelab.dsp.spectrum import mel_filterbank

        mel_filterbank(22050, 2048, 128, 0.0, None)
        _done = True
