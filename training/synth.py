"""A synthetic labelled-audio set: a few classes of clearly different music-like sound, for tests and demos.

Each class is a recipe for :func:`genrelab.audio.synthesis.music_like` (tempo, root note, brightness, drums,
noise); every clip varies its class's recipe a little at random (seeded), so the classes are easy to tell
apart but no two clips are the same. Files are written as ``<out>/<class>/<class>.000NN.wav`` (GTZAN-style).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from genrelab.audio.synthesis import music_like
from genrelab.progress import CancelToken, check_cancel


@dataclass(frozen=True)
class Recipe:
    """The sound of one synthetic class (arguments of ``music_like``)."""

    name: str
    tempo_bpm: float
    root_hz: float
    harmonics: int
    brightness: float
    drums: float
    noise: float


#: Classes in the order they are used; names are lowercase words so files look like GTZAN's.
RECIPES = (
    Recipe("drone", tempo_bpm=60, root_hz=110, harmonics=8, brightness=0.85, drums=0.0, noise=0.002),
    Recipe("techno", tempo_bpm=150, root_hz=330, harmonics=3, brightness=0.35, drums=0.9, noise=0.01),
    Recipe("static", tempo_bpm=100, root_hz=880, harmonics=2, brightness=0.5, drums=0.2, noise=0.25),
    Recipe("bass", tempo_bpm=85, root_hz=55, harmonics=4, brightness=0.3, drums=0.5, noise=0.005),
    Recipe("chime", tempo_bpm=120, root_hz=1320, harmonics=2, brightness=0.2, drums=0.0, noise=0.02),
    Recipe("march", tempo_bpm=110, root_hz=220, harmonics=6, brightness=0.7, drums=0.6, noise=0.05),
)


def recipe(index: int) -> Recipe:
    """The recipe of class ``index``: the named ones first, then generated ones (``tone7``, ``tone8``...)."""
    if index < len(RECIPES):
        return RECIPES[index]
    rng = np.random.default_rng([7, index])
    return Recipe(f"tone{index}", tempo_bpm=float(rng.uniform(60, 170)), root_hz=float(55 * 2 ** rng.uniform(0, 5)),
                  harmonics=int(rng.integers(2, 9)), brightness=float(rng.uniform(0.2, 0.9)),
                  drums=float(rng.uniform(0, 1)), noise=float(rng.uniform(0.002, 0.2)))


def varied(r: Recipe, rng: np.random.Generator) -> Recipe:
    """A clip's own version of its class's recipe: small random changes that keep the class recognisable."""
    return replace(
        r,
        tempo_bpm=r.tempo_bpm * rng.uniform(0.92, 1.08),
        root_hz=r.root_hz * 2 ** (rng.uniform(-1, 1) / 12),
        brightness=float(np.clip(r.brightness + rng.uniform(-0.05, 0.05), 0.05, 0.95)),
        drums=r.drums * rng.uniform(0.8, 1.2),
        noise=r.noise * rng.uniform(0.8, 1.25),
    )


def clip_signal(class_index: int, clip_index: int, seconds: float, sr: int = 22050, seed: int = 0) -> np.ndarray:
    """The float32 mono signal of one synthetic clip (deterministic in its arguments)."""
    rng = np.random.default_rng([seed, class_index, clip_index])
    r = varied(recipe(class_index), rng)
    return music_like(seconds, sr, seed=int(rng.integers(2**31)), tempo_bpm=r.tempo_bpm, root_hz=r.root_hz,
                      harmonics=r.harmonics, brightness=r.brightness, drums=r.drums, noise=r.noise)


def write_dataset(out: str | Path, *, classes: int = 3, clips_per_class: int = 10, seconds: float = 6.0,
                  sr: int = 22050, seed: int = 0, progress: Callable[[float, str], None] | None = None,
                  cancel: CancelToken | None = None) -> list[Path]:
    """Write ``classes`` x ``clips_per_class`` wav files (16-bit) under ``out/<class>/``; returns their paths."""
    import soundfile as sf

    if not 2 <= classes <= 100:
        raise ValueError("classes must be between 2 and 100")
    if clips_per_class < 1 or seconds <= 0:
        raise ValueError("clips_per_class and seconds must be positive")
    out = Path(out)
    paths = []
    total = classes * clips_per_class
    for c in range(classes):
        name = recipe(c).name
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(clips_per_class):
            check_cancel(cancel)
            path = folder / f"{name}.{k:05d}.wav"
            sf.write(path, clip_signal(c, k, seconds, sr, seed), sr, subtype="PCM_16")
            paths.append(path)
            if progress:
                progress(len(paths) / total, path.name)
    return paths
