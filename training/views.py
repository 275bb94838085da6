"""Teacher views for distillation: altered copies of the train clips that a musicnn teacher answers.

A student distilled only on the train windows learns little more than their labels: 442 clips are all it sees.
"A good teacher is patient and consistent" (Beyer et al., 2022) shows that the student gains from *new inputs*
that the teacher answers, the same input for both. Here each view is one train clip altered as a whole, in the
power domain of its Mel dB, by what happens to real music: another clip of the same fold mixed in under it
(-12..0 dB), a tempo change (0.85-1.18x, columns resampled), a shift of the Mel axis (+-3 bands, roughly a few
semitones) and a spectral tilt (+-6 dB). The teacher computes its features of every view once (cached); its
answers on a view come from a head that never saw the view's clip nor its partner (they are in the same clip
fold, see :func:`view_folds`), as it would answer music it has not heard.
"""

from __future__ import annotations

import numpy as np

from training.clips import Clip

MIX_P = 0.7
STRETCH_P = 0.5
SHIFT_P = 0.3
TILT_P = 0.5


def view_folds(n_clips: int, folds: int, seed: int) -> np.ndarray:
    """The clip fold of each train clip (the same grouping the out-of-fold teacher uses)."""
    return np.random.default_rng(seed).permutation(n_clips) % folds


def _stretch(power: np.ndarray, rate: float) -> np.ndarray:
    """Resample the columns of a power spectrogram by ``rate`` (> 1: faster, fewer columns)."""
    n = power.shape[1]
    m = max(2, int(round(n / rate)))
    pos = np.linspace(0, n - 1, m)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = (pos - lo)[None, :]
    return power[:, lo] * (1 - frac) + power[:, hi] * frac


def _shift_bands(power: np.ndarray, k: int) -> np.ndarray:
    """Move the Mel axis by ``k`` bands (up when positive), repeating the edge band."""
    if k == 0:
        return power
    out = np.empty_like(power)
    if k > 0:
        out[k:] = power[:-k]
        out[:k] = power[:1]
    else:
        out[:k] = power[-k:]
        out[k:] = power[-1:]
    return out


def make_view(clip: Clip, partner: Clip | None, rng: np.random.Generator, floor_db: float = -80.0) -> tuple[np.ndarray, str]:
    """(view dB re its maximum, what was done) of ``clip``; ``partner`` (or None) may be mixed in under it."""
    power = 10.0 ** (clip.db.astype(np.float64) / 10.0)
    done = []
    if partner is not None and rng.random() < MIX_P:
        other = 10.0 ** (partner.db.astype(np.float64) / 10.0)
        other = np.roll(other, int(rng.integers(0, other.shape[1])), axis=1)
        reps = int(np.ceil(power.shape[1] / other.shape[1]))
        other = np.tile(other, (1, reps))[:, : power.shape[1]]
        gain = float(rng.uniform(-12.0, 0.0))
        power = power + other * 10.0 ** (gain / 10.0)
        done.append(f"mix {partner.clip_id} {gain:+.1f} dB")
    if rng.random() < STRETCH_P:
        rate = float(np.exp(rng.uniform(np.log(0.85), np.log(1.18))))
        power = _stretch(power, rate)
        done.append(f"tempo x{rate:.2f}")
    if rng.random() < SHIFT_P:
        k = int(rng.choice([-3, -2, -1, 1, 2, 3]))
        power = _shift_bands(power, k)
        done.append(f"bands {k:+d}")
    if rng.random() < TILT_P or not done:
        slope = float(rng.uniform(-6.0, 6.0))
        power = power * 10.0 ** ((slope * np.linspace(-0.5, 0.5, power.shape[0]))[:, None] / 10.0)
        done.append(f"tilt {slope:+.1f} dB")
    db = 10.0 * np.log10(np.maximum(power, 1e-30))
    db = np.maximum(db - db.max(), floor_db).astype(np.float32)
    return db, ", ".join(done)


def make_views(train: list[Clip], per_clip: int, folds: int, seed: int) -> tuple[list[Clip], list[int], list[str]]:
    """``per_clip`` views of every train clip: (view clips, the train clip each comes from, what was done).

    A view keeps its clip's label and group; partners come from the clip's own fold (:func:`view_folds`), so
    one out-of-fold head can answer the whole view. Deterministic in ``seed``.
    """
    fold = view_folds(len(train), folds, seed)
    members = {f: np.flatnonzero(fold == f) for f in range(folds)}
    rng = np.random.default_rng([seed, 7_001])
    views, source, notes = [], [], []
    for k in range(per_clip):
        for i, clip in enumerate(train):
            pool = members[int(fold[i])]
            pool = pool[pool != i]
            partner = train[int(rng.choice(pool))] if len(pool) else None
            db, note = make_view(clip, partner, rng)
            views.append(Clip(f"{clip.clip_id}~v{k + 1}", clip.label, clip.group, db, clip.source))
            source.append(i)
            notes.append(note)
    return views, source, notes
