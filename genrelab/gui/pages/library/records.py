"""Plain records the Library page's widgets show and its core calls return (no Qt: built in workers)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: The genre column of a silent track (nothing above about -80 dBFS): no genre, as the Analyse page's SILENCE.
SILENCE = "silence"


@dataclass
class TrackRows:
    """The analysed tracks of a library, one array per column (all the same length).

    Attributes:
        ids: track ids in the store (n,) int64.
        paths: file paths (n,) object array of str.
        genres: index into ``labels`` of each track's top genre (n,) int16.
        confidence: mean probability of the top genre (n,) float32, 0..1.
        duration: seconds (n,) float32.
        labels: genre names (and :data:`SILENCE` when the library has silent tracks).
    """

    ids: np.ndarray
    paths: np.ndarray
    genres: np.ndarray
    confidence: np.ndarray
    duration: np.ndarray
    labels: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids, dtype=np.int64)
        self.paths = np.asarray(self.paths, dtype=object)
        self.genres = np.asarray(self.genres, dtype=np.int16)
        self.confidence = np.asarray(self.confidence, dtype=np.float32)
        self.duration = np.asarray(self.duration, dtype=np.float32)
        lengths = {len(self.ids), len(self.paths), len(self.genres), len(self.confidence), len(self.duration)}
        if len(lengths) > 1:
            raise ValueError(f"TrackRows columns differ in length: {sorted(lengths)}")

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls, labels: list[str] | None = None) -> TrackRows:
        return cls(np.zeros(0), np.zeros(0, dtype=object), np.zeros(0), np.zeros(0), np.zeros(0), list(labels or []))

    def genre_counts(self) -> dict[str, int]:
        """Tracks per top genre, in label order (silent tracks have no genre: not counted)."""
        counts = np.bincount(self.genres.astype(np.int64), minlength=len(self.labels)) if len(self) else \
            np.zeros(len(self.labels), dtype=np.int64)
        return {label: int(counts[i]) for i, label in enumerate(self.labels) if label != SILENCE}


@dataclass
class SimilarTrack:
    """One answer: a library track and its distance to the query (smaller is closer)."""

    track_id: int
    path: str
    genre: str
    distance: float


@dataclass
class TagChange:
    """What writing tags would do to one file.

    Attributes:
        path: the file.
        old: its genre tag now ("" when it has none).
        new: the genre that would be written.
        write: True if the file will be written; False if it is left alone (``note`` says why).
        note: e.g. "has a genre tag (overwrite is off)", "already tagged", "format has no genre tag".
    """

    path: str
    old: str
    new: str
    write: bool
    note: str = ""
    source: object = field(default=None, repr=False, compare=False)  # the core's plan line, applied as confirmed
