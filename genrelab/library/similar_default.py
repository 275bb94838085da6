"""How "similar" is measured when nobody says: the one rule ``genrelab similar --by`` and the Library page share.

Plain Python (no numpy, no SQLite): the CLI's argument parser and the GUI import it at start-up for nothing.
"""

from __future__ import annotations

from genrelab.errors import GenreLabError

#: The ways to compare tracks: 'genre' (Jensen-Shannon distance of the mean genre distributions, the paper's
#: Appendix A), 'sound' (cosine distance of the model's mean embeddings), 'auto' (see :func:`resolve_by`).
BY_CHOICES = ("auto", "genre", "sound")

#: The default of ``genrelab similar --by`` and of the Library page's similar panel.
DEFAULT_BY = "auto"


def resolve_by(by: str, has_embedding: bool) -> str:
    """'genre' or 'sound' for ``by``. 'auto' is 'sound' when the library's model has an embedding (it found the
    other half of the same song first far more often, see ``genrelab.library.similar_check``), else 'genre'."""
    if by not in BY_CHOICES:
        raise GenreLabError(f"unknown similarity {by!r} (choose {', '.join(BY_CHOICES[1:])} or auto)")
    if by == "auto":
        return "sound" if has_embedding else "genre"
    return by
