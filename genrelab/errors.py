"""Error types whose messages are written for people, not for developers.

Every error the user can cause (a bad file, a bad model, a bad folder) is one of these, with a one-line
message that names the file and says what is wrong. The CLI and the GUI print ``str(error)`` and nothing else.
"""

from __future__ import annotations


class GenreLabError(Exception):
    """Base class: an error with a message meant for the user."""


class AudioError(GenreLabError):
    """A file could not be decoded as audio (missing, empty, not audio, unsupported, too short...)."""


class ModelError(GenreLabError):
    """A model file is missing, is not ONNX, or carries no GenreLab model card."""


class AnalysisError(GenreLabError):
    """Analysis could not run on the given audio (for example: shorter than the minimum length)."""


class Cancelled(GenreLabError):
    """A long operation was cancelled by the user."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)
