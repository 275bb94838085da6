"""Progress and cancellation plumbing shared by every long operation.

Core functions take ``progress(fraction, message)`` and ``cancel`` (anything with ``is_set()``, e.g. a
``threading.Event``). They never import Qt; the GUI turns the callbacks into signals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from genrelab.errors import Cancelled

ProgressFn = Callable[[float, str], None]


class CancelToken(Protocol):
    """Anything with ``is_set()``; ``threading.Event`` is the usual one."""

    def is_set(self) -> bool: ...


def report(progress: ProgressFn | None, fraction: float, message: str = "") -> None:
    """Call ``progress`` if given, clamping ``fraction`` to [0, 1]."""
    if progress is not None:
        progress(min(1.0, max(0.0, float(fraction))), message)


def check_cancel(cancel: CancelToken | None) -> None:
    """Raise :class:`Cancelled` if ``cancel`` is set."""
    if cancel is not None and cancel.is_set():
        raise Cancelled()
