"""Frequencies as musical note names (equal temperament, A4 = 440 Hz) and time as m:ss. Pure functions."""

from __future__ import annotations

import math

NOTE_NAMES = ("C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B")


def nearest_note(hz: float) -> str:
    """Name of the nearest note and the offset in cents, e.g. ``"A4 +3¢"``; ``"—"`` for non-positive input."""
    if not hz or hz <= 0 or not math.isfinite(hz):
        return "—"
    midi = 69.0 + 12.0 * math.log2(hz / 440.0)
    nearest = int(round(midi))
    cents = int(round(100 * (midi - nearest)))
    name = f"{NOTE_NAMES[nearest % 12]}{nearest // 12 - 1}"
    return f"{name} {cents:+d}¢" if cents else name


def note_hz(name_index: int, octave: int) -> float:
    """Frequency of note ``NOTE_NAMES[name_index]`` in ``octave`` (C4 = 261.63 Hz)."""
    midi = (octave + 1) * 12 + name_index
    return 440.0 * 2 ** ((midi - 69) / 12)


def format_time(seconds: float, decimals: int = 0) -> str:
    """``m:ss`` (or ``h:mm:ss``), with ``decimals`` digits of seconds."""
    seconds = max(0.0, float(seconds))
    if decimals:
        whole = int(seconds)
        frac = f"{seconds - whole:.{decimals}f}"[1:]
    else:
        whole, frac = int(round(seconds)), ""
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}{frac}" if h else f"{m}:{s:02d}{frac}"


def format_hz(hz: float) -> str:
    """``"440 Hz"`` / ``"2.5 kHz"``."""
    return f"{hz / 1000:.3g} kHz" if hz >= 1000 else f"{hz:.0f} Hz"
