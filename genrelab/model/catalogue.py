"""The models this install can use: the shipped ones (``resources/models``) and the user's own
(:func:`~genrelab.model.registry.user_models_dir`), each with the summary of its card.

Needs no torch: cards are read with ONNX Runtime (:func:`~genrelab.model.card.read_card`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from genrelab.errors import GenreLabError
from genrelab.model import registry


@dataclass
class ModelEntry:
    """One model file and what its card says (``error`` instead when the card cannot be read)."""

    path: Path
    source: str  # "shipped" | "yours"
    name: str = ""
    labels: list[str] = field(default_factory=list)
    data: str = ""
    split: str = ""
    accuracy: str = ""
    date: str = ""
    error: str = ""

    def summary_row(self) -> list[str]:
        """Name, source, classes, accuracy, data, split, date, file (for a table)."""
        return [self.name or self.path.stem, self.source, str(len(self.labels)) if self.labels else "",
                self.accuracy, self.data, self.split, self.date, str(self.path)]


def _shipped_paths() -> list[Path]:
    shipped = getattr(registry, "shipped_models", None)
    if callable(shipped):
        return [Path(p) for p in shipped()]
    folder = registry.resources_dir() / "models"
    return sorted(folder.glob("*.onnx")) if folder.is_dir() else []


def _accuracy(metrics: dict) -> str:
    """The card's headline accuracy: the test part if any, else valid (track and window level)."""
    for part in ("test", "valid"):
        m = metrics.get(part)
        if isinstance(m, dict) and ("track_accuracy" in m or "window_accuracy" in m):
            bits = []
            if isinstance(m.get("track_accuracy"), (int, float)):
                bits.append(f"track {m['track_accuracy']:.3f}")
            if isinstance(m.get("window_accuracy"), (int, float)):
                bits.append(f"window {m['window_accuracy']:.3f}")
            return f"{part}: " + ", ".join(bits)
    return ""


def describe(path: Path, source: str) -> ModelEntry:
    """A model file's entry (its card's summary, or why it cannot be read)."""
    from genrelab.model.card import read_card

    entry = ModelEntry(path, source)
    try:
        card = read_card(path)
    except GenreLabError as exc:
        entry.error = str(exc)
        return entry
    except Exception as exc:  # noqa: BLE001 - a damaged file is a row with a reason, not a crash
        entry.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return entry
    entry.name, entry.labels = card.name, list(card.labels)
    entry.data, entry.split = card.data, card.split
    entry.accuracy = _accuracy(card.metrics)
    entry.date = str(card.provenance.get("date", ""))[:10]
    return entry


def list_models() -> list[ModelEntry]:
    """The shipped models, then the user's own (newest first), each with its card's summary."""
    entries = [describe(p, "shipped") for p in _shipped_paths()]
    user = registry.user_models_dir()
    if user.is_dir():
        mine = sorted(user.glob("*.onnx"), key=lambda p: p.stat().st_mtime, reverse=True)
        entries += [describe(p, "yours") for p in mine]
    return entries
